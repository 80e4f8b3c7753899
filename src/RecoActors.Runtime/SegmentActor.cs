using Akka.Actor;
using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>
/// One segment of the node's model (<see cref="Segment"/>): folds its part of each batch and ranks its items, for
/// its parent, the <see cref="ModelActor"/>, which runs the steps of a fold that the segments share.
/// </summary>
/// <remarks>
/// The segment's state is handed over, not shared: the model actor tells a segment to fold or rank and touches that
/// segment only after it answered, so each step sees the state the step before it left, as on one thread; the
/// message passing orders the memory. The segments of one fold step run at once on the folds' threads.
/// </remarks>
internal sealed class SegmentActor : ReceiveActor
{
    /// <summary>An actor for <paramref name="segment"/>, on the folds' threads (<see cref="ModelActor.Dispatcher"/>).</summary>
    public static Props Props(Segment segment) => Akka.Actor.Props.Create(() => new SegmentActor(segment)).WithDispatcher(ModelActor.Dispatcher);

    /// <summary>The actor of <paramref name="segment"/>.</summary>
    public SegmentActor(Segment segment)
    {
        Receive<SegmentCommand.Fold>(fold =>
        {
            segment.Fold(fold.Step, fold.Batch);
            Sender.Tell(new SegmentCommand.Folded(segment.Index, fold.Version));
        });
        Receive<SegmentCommand.Rank>(rank => Sender.Tell(new SegmentCommand.Ranked(segment.Index, rank.Version, segment.Rank(rank.Ranking))));
    }
}

/// <summary>What a <see cref="SegmentActor"/> is told and answers. Local only: a node's segment actors are its model actor's children.</summary>
internal abstract record SegmentCommand
{
    private SegmentCommand() { }

    /// <summary>Fold the segment's part of <paramref name="Batch"/> (read only) into the model's version <paramref name="Version"/>.</summary>
    public sealed record Fold(long Version, SegmentFold Step, ModelPartial Batch) : SegmentCommand;

    /// <summary>The segment folded its part.</summary>
    public sealed record Folded(int Segment, long Version) : SegmentCommand;

    /// <summary>Rank the segment's items for version <paramref name="Version"/>.</summary>
    public sealed record Rank(long Version, SegmentRanking Ranking) : SegmentCommand;

    /// <summary>The segment's ranked items.</summary>
    public sealed record Ranked(int Segment, long Version, SegmentModel Top) : SegmentCommand;
}
