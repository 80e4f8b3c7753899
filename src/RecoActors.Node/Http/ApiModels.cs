using System.Text.Json;
using System.Text.Json.Serialization;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Node.Http;

/// <summary>A personal ranking, as <c>GET /v1/users/{id}/recommendations</c> returns it.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Partition">The user's partition (shard).</param>
/// <param name="Node">The node that hosts the user's entity.</param>
/// <param name="ColdStart">True when the user has no direction yet and got popular items.</param>
/// <param name="ModelVersion">The model snapshot the ranking was read from.</param>
/// <param name="Memberships">How close the user is to each segment (weights sum to 1).</param>
/// <param name="Items">The items, best first, each with its explanation.</param>
/// <param name="Weights">The weights the user's score fused its terms with (learned by its segments); null on cold start.</param>
public sealed record RecommendationsResponse(string UserId, int Partition, string Node, bool ColdStart, long ModelVersion,
    IReadOnlyList<Share> Memberships, IReadOnlyList<RecommendedItem> Items, TermWeights? Weights);

/// <summary>A user's profile, as <c>GET /v1/users/{id}/profile</c> returns it.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Partition">The user's partition.</param>
/// <param name="Node">The node that hosts the user's entity.</param>
/// <param name="EventsApplied">Events applied to the profile so far.</param>
/// <param name="LastOffset">Offset (in the partition) of the last event applied.</param>
/// <param name="LastEventTime">Event time of the latest event, epoch ms.</param>
/// <param name="Memberships">Segment memberships.</param>
/// <param name="Vector">The profile vector.</param>
/// <param name="RecentItems">The user's latest positive items, newest first.</param>
public sealed record ProfileResponse(string UserId, int Partition, string Node, long EventsApplied, long LastOffset, long LastEventTime,
    IReadOnlyList<SegmentShare> Memberships, float[] Vector, IReadOnlyList<string> RecentItems);

/// <summary>The model's segments, as <c>GET /v1/segments</c> returns them.</summary>
/// <param name="Node">The node that answered (every node holds the same model).</param>
/// <param name="ModelVersion">The snapshot's version.</param>
/// <param name="EventsFolded">Events folded into this node's model.</param>
/// <param name="Segments">Each segment's weight and top items.</param>
public sealed record SegmentsResponse(string Node, long ModelVersion, long EventsFolded, IReadOnlyList<SegmentSummary> Segments)
{
    /// <summary>The segments of <paramref name="node"/>'s latest model snapshot, each with its <paramref name="top"/> items.</summary>
    public static SegmentsResponse Of(Hosting.RecoNode node, int top)
    {
        ArgumentNullException.ThrowIfNull(node);
        var snapshot = node.Model.Current;
        var total = snapshot.Weights.Sum();
        var segments = Enumerable.Range(0, snapshot.SegmentCount)
            .Select(k => new SegmentSummary(k, snapshot.Weights[k], total > 0 ? snapshot.Weights[k] / total : 0, snapshot.Drift[k],
                [.. snapshot.TopItems(k, top).Select(t => new ScoredItem(t.ItemId, t.Score))], TermWeights.Of(snapshot.FusionWeights[k])))
            .ToList();
        return new SegmentsResponse(node.Id, snapshot.Version, node.EventsFolded, segments);
    }
}

/// <summary>One segment.</summary>
/// <param name="Segment">Its index.</param>
/// <param name="Weight">Its size: the decayed count of profile updates nearest to it.</param>
/// <param name="Share">Its weight as a fraction of all segments' (how much of the recent activity is nearest to it).</param>
/// <param name="Drift">How far its centroid moved in the last fold (Euclidean; a re-seeded segment jumps).</param>
/// <param name="TopItems">Its best items.</param>
/// <param name="FusionWeights">The weights its users' scores fuse their terms with, as it has learned them.</param>
public sealed record SegmentSummary(int Segment, double Weight, double Share, double Drift, IReadOnlyList<ScoredItem> TopItems, TermWeights FusionWeights);

/// <summary>An item and a score.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">Its score.</param>
public sealed record ScoredItem(string ItemId, float Score);

/// <summary>The answer to <c>POST /v1/events</c>: every event was acknowledged by Kafka.</summary>
/// <param name="Accepted">How many events were written.</param>
public sealed record EventsAccepted(int Accepted);

/// <summary>A node's state, as <c>GET /v1/node</c> returns it.</summary>
/// <param name="Node">The node's id.</param>
/// <param name="Ready">Whether it serves (see <c>/readyz</c>).</param>
/// <param name="StoreAvailable">False during a store outage.</param>
/// <param name="Partitions">Partitions of the events topic.</param>
/// <param name="Held">The partitions whose actors run on this node (their shards are here).</param>
/// <param name="EventsApplied">Events applied by this node since it started.</param>
/// <param name="ResidentUsers">Users in memory.</param>
/// <param name="DeadLetters">Records this node sent to the dead-letter topic.</param>
/// <param name="Lag">Records not yet applied, per held partition.</param>
public sealed record NodeStatus(string Node, bool Ready, bool StoreAvailable, int Partitions, IReadOnlyList<int> Held, long EventsApplied,
    long ResidentUsers, long DeadLetters, IReadOnlyList<PartitionLag> Lag);

/// <summary>How far a partition is behind.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Lag">Records produced but not yet applied.</param>
public sealed record PartitionLag(int Partition, long Lag);

/// <summary>Source-generated JSON for the API (camelCase).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RecommendationsResponse))]
[JsonSerializable(typeof(ProfileResponse))]
[JsonSerializable(typeof(SegmentsResponse))]
[JsonSerializable(typeof(EventsAccepted))]
[JsonSerializable(typeof(NodeStatus))]
[JsonSerializable(typeof(ClusterView))]
[JsonSerializable(typeof(SegmentsView))]
[JsonSerializable(typeof(ItemTitles))]
[JsonSerializable(typeof(AuthInfo))]
public sealed partial class ApiJson : JsonSerializerContext;
