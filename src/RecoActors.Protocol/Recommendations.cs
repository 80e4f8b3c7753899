using MessagePack;

namespace RecoActors.Protocol;

/// <summary>
/// Asks a user's entity for a personal ranking of <paramref name="Count"/> items. The node that hosts the user answers
/// with <see cref="Recommendations"/>, or <see cref="RecommendationFailed"/> when the user's stored state cannot be read.
/// </summary>
/// <param name="UserId">The user.</param>
/// <param name="Count">How many items, at most.</param>
[MessagePackObject]
public sealed record Recommend([property: Key(0)] string UserId, [property: Key(1)] int Count) : IUserMessage, IRecoMessage
{
    /// <summary>The most items one request may ask for.</summary>
    public const int MaxCount = 1_000;
}

/// <summary>A personal ranking, ranked on the node that hosts the user from that node's model.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Node">The node that hosts the user's entity.</param>
/// <param name="ModelVersion">The model snapshot the ranking was read from (every node folds the same versions).</param>
/// <param name="EventsApplied">Events applied to the user's profile; 0 for a user the cluster has never seen.</param>
/// <param name="ColdStart">True when the user has no direction yet and got popular items.</param>
/// <param name="Memberships">How close the user is to each segment (the weights sum to 1; empty on cold start).</param>
/// <param name="Items">The items, best first, each with its explanation.</param>
/// <param name="Weights">The weights the user's score fused its terms with, learned by the user's segments; null on cold start.</param>
[MessagePackObject]
public sealed record Recommendations(
    [property: Key(0)] string UserId,
    [property: Key(1)] string Node,
    [property: Key(2)] long ModelVersion,
    [property: Key(3)] long EventsApplied,
    [property: Key(4)] bool ColdStart,
    [property: Key(5)] Share[] Memberships,
    [property: Key(6)] RecommendedItem[] Items,
    [property: Key(7)] TermWeights? Weights = null) : IRecoMessage;

/// <summary>How much each term of a fused score counts for one user: the blend of its segments' learned weights.</summary>
/// <param name="Segments">σ: the segment models' popular items.</param>
/// <param name="Personal">λ: closeness to the user's profile.</param>
/// <param name="Related">μ: co-visitation with the user's latest positive items, over every user.</param>
/// <param name="Local">The same co-visitation among the user's segments' own users.</param>
[MessagePackObject]
public sealed record TermWeights(
    [property: Key(0)] float Segments,
    [property: Key(1)] float Personal,
    [property: Key(2)] float Related,
    [property: Key(3)] float Local)
{
    /// <summary>The protocol's form of a model's <see cref="RecoActors.Core.FusionWeights"/>.</summary>
    public static TermWeights Of(RecoActors.Core.FusionWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return new(weights.Segments, weights.Personal, weights.Related, weights.Local);
    }
}

/// <summary>One recommended item and why: its score is the segments' shares plus the personal and related terms.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">Its fused score.</param>
/// <param name="Personal">λ·cos(profile, item): how close the item is to the user's own taste.</param>
/// <param name="Related">μ·V(item): how often it was co-visited with the user's latest positive items.</param>
/// <param name="Segments">What each near segment's local models gave it: its popular items' term and its own co-visitation term.</param>
[MessagePackObject]
public sealed record RecommendedItem(
    [property: Key(0)] string ItemId,
    [property: Key(1)] float Score,
    [property: Key(2)] float Personal,
    [property: Key(3)] float Related,
    [property: Key(4)] Share[] Segments);

/// <summary>An amount that belongs to one segment: a membership weight, or a segment's part of an item's score.</summary>
/// <param name="Segment">The segment's index.</param>
/// <param name="Amount">The amount.</param>
[MessagePackObject]
public sealed record Share([property: Key(0)] int Segment, [property: Key(1)] float Amount);

/// <summary>The user's entity cannot rank: its stored state does not decode (it is kept for inspection).</summary>
/// <param name="UserId">The user.</param>
/// <param name="Node">The node that hosts the user's entity.</param>
/// <param name="Reason">Why, in a sentence.</param>
[MessagePackObject]
public sealed record RecommendationFailed([property: Key(0)] string UserId, [property: Key(1)] string Node, [property: Key(2)] string Reason) : IRecoMessage;

/// <summary>Asks a node how the cluster shards its users (a client needs it before it can route).</summary>
[MessagePackObject]
public sealed record DescribeCluster : IRecoMessage
{
    /// <summary>The one instance.</summary>
    public static readonly DescribeCluster Instance = new();
}

/// <summary>How the cluster shards its users: a user's shard is its partition of the events topic.</summary>
/// <param name="Partitions">Partitions of the events topic: the shard count.</param>
/// <param name="Node">The node that answered.</param>
[MessagePackObject]
public sealed record ClusterDescription([property: Key(0)] int Partitions, [property: Key(1)] string Node) : IRecoMessage;
