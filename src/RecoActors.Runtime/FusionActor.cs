using Akka.Actor;
using Akka.Routing;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// Ranks for the user entities of its node, off their mailboxes: an entity passes a copy of its profile and who asked,
/// and the answer goes straight from here to the asker, ranked from the node's latest model snapshot.
/// </summary>
/// <remarks>
/// A fold never stalls a ranking: the segment actor builds each snapshot aside and publishes it by swapping one
/// reference, which this actor reads once per request; a snapshot is never changed after it is published. The node
/// runs one routee per core (<see cref="Props"/>), so rankings use every core while the users' mailboxes go on.
/// </remarks>
internal sealed class FusionActor : ReceiveActor
{
    /// <summary>The node's fusion actors, one per core behind a round-robin pool.</summary>
    public static Props Props(NodeContext node) =>
        Akka.Actor.Props.Create(() => new FusionActor(node)).WithRouter(new RoundRobinPool(Environment.ProcessorCount));

    /// <summary>A fusion actor that ranks from <paramref name="node"/>'s model.</summary>
    public FusionActor(NodeContext node) => Receive<FusionCommand.Rank>(rank => rank.ReplyTo.Tell(Answer(rank, node.Model.Current, node.NodeId)));

    /// <summary>The answer to <paramref name="rank"/> from <paramref name="snapshot"/>: what <see cref="Fusion.Recommend"/> ranks, as the protocol carries it.</summary>
    private static IRecoMessage Answer(FusionCommand.Rank rank, ModelSnapshot snapshot, string node)
    {
        if (rank.Count is < 0 or > Recommend.MaxCount)
            return new RecommendationFailed(rank.UserId, node, $"count must be from 0 to {Recommend.MaxCount} (it was {rank.Count})");
        var ranking = Fusion.Recommend(rank.Profile, snapshot, rank.Count);
        return new Recommendations(rank.UserId, node, snapshot.Version, rank.Profile?.EventsApplied ?? 0, ranking.ColdStart, Shares(ranking.Memberships),
            [.. ranking.Items.Select(i => new RecommendedItem(i.ItemId, i.Score, i.Personal, i.Related, Shares(i.Segments)))],
            ranking.Weights is { } weights ? TermWeights.Of(weights) : null);
    }

    private static Share[] Shares(IReadOnlyList<SegmentShare> shares) => [.. shares.Select(s => new Share(s.Segment, s.Amount))];
}
