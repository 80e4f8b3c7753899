using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RecoActors.Core;
using RecoActors.Node.Hosting;
using RecoActors.Protocol;
using RecoActors.Runtime;

namespace RecoActors.Node.Http;

/// <summary>
/// What the dashboard at <c>/</c> reads besides the public API: the cluster as this node sees it, the segments with a
/// picture of the profile space, and items' titles. The page itself is static files from <c>wwwroot</c>.
/// </summary>
internal static class DashboardApi
{
    /// <summary>Users whose profiles are read for the map (each a read through the region, like a profile request).</summary>
    private const int MapUsers = 120;

    public static void Map(RouteGroupBuilder v1, NodeApi.Holder holder)
    {
        v1.MapGet("/dashboard/cluster", () => NodeApi.WithAsync(holder, async s => Results.Json(await ClusterAsync(s.Node, s.Reads.Metrics), ApiJson.Default.ClusterView)));
        v1.MapGet("/dashboard/segments", (CancellationToken ct) => NodeApi.WithAsync(holder, async s => Results.Json(await SegmentsAsync(s.Node, ct), ApiJson.Default.SegmentsView)));
        v1.MapGet("/items", (HttpRequest request) => NodeApi.With(holder, s =>
        {
            var ids = request.Query["ids"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ids.Length > 1_000) return NodeApi.Problem(400, $"at most 1000 ids per request (got {ids.Length})");
            return Results.Json(new ItemTitles(ids.Distinct(StringComparer.Ordinal).Where(s.Node.Titles.ContainsKey)
                .ToDictionary(id => id, id => s.Node.Titles[id], StringComparer.Ordinal)), ApiJson.Default.ItemTitles);
        }));
    }

    private static async Task<ClusterView> ClusterAsync(RecoNode node, NodeMetrics metrics)
    {
        var cluster = Cluster.Get(node.System);
        var self = cluster.SelfAddress;
        var unreachable = cluster.State.Unreachable.Select(m => m.Address).ToHashSet();
        var ordered = cluster.State.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ToList();
        // Each reachable node says what it runs, with lag, through its describer.
        var described = await Task.WhenAll(ordered.Select(async m =>
        {
            if (unreachable.Contains(m.Address) || !m.HasRole(ClusterConfig.NodeRole)) return null;
            try
            {
                var describer = node.System.ActorSelection(new RootActorPath(m.Address) / "user" / ClusterConfig.DescriberName);
                return await describer.Ask<NodeDescription>(DescribeNode.Instance, TimeSpan.FromSeconds(2));
            }
            catch (AskTimeoutException)
            {
                return null;
            }
        }));
        // A node that did not answer is shown by the shards the coordinator placed on it: asked only then, as it asks every region.
        var shards = Enumerable.Range(0, ordered.Count).Any(i => described[i] is null && ordered[i].HasRole(ClusterConfig.NodeRole))
            ? await ShardsAsync(node) : [];
        var members = ordered.Select((m, i) => new MemberView(m.Address.ToString(), m.Address == self, m.Status.ToString(), [.. m.Roles.Order()],
            described[i]?.Node, described[i]?.EventsApplied, described[i] is { } d
                ? [.. d.Partitions.Select(p => new PartitionView(p.Partition, p.Position, p.Checkpoint, p.Lag >= 0 ? p.Lag : null))]
                : [.. (shards.GetValueOrDefault(m.Address) ?? []).Select(p => new PartitionView(p, null, null, null))])).ToList();
        var latency = metrics.LatencyPercentiles();
        return new ClusterView(node.Id, await node.NotReadyAsync(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), members,
            [.. unreachable.Select(a => a.ToString())], node.Context.Applied, node.EventsFolded,
            node.Context.Residents.Count, node.Model.Current.Version, metrics.Recommendations,
            latency is { } p ? new LatencyView(p.P50, p.P95, p.P99, p.Of) : null,
            node.DeadLetters, new Dictionary<string, long>(node.DeadLettersByCode, StringComparer.Ordinal));
    }

    /// <summary>The partitions whose shards each region holds, or none known if the regions did not answer in time.</summary>
    private static async Task<Dictionary<Address, IReadOnlyList<int>>> ShardsAsync(RecoNode node)
    {
        try
        {
            var stats = await node.Runtime.Region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(4));
            return stats.Regions.ToDictionary(r => r.Key, r => (IReadOnlyList<int>)[.. r.Value.Stats.Keys.Select(id => int.TryParse(id, out var p) ? p : -1).Where(p => p >= 0).Order()]);
        }
        catch (AskTimeoutException)
        {
            return [];
        }
    }

    private static async Task<SegmentsView> SegmentsAsync(RecoNode node, CancellationToken ct)
    {
        var snapshot = node.Model.Current;
        var total = snapshot.Weights.Sum();
        var segments = Enumerable.Range(0, snapshot.SegmentCount)
            .Select(k => new SegmentView(k, snapshot.Weights[k], total > 0 ? snapshot.Weights[k] / total : 0, snapshot.Drift[k],
                [.. snapshot.TopItems(k, 5).Select(t => new TitledItem(t.ItemId, node.Titles.GetValueOrDefault(t.ItemId), t.Score))]))
            .ToList();

        // A sample of this node's users, read as a profile request would, placed with the centroids on their principal plane.
        var sample = node.Context.RecentlyStartedUsers().Order(StringComparer.Ordinal).Take(MapUsers).ToList();
        var reads = await Task.WhenAll(sample.Select(async u =>
        {
            try
            {
                return (await node.ReadUserAsync(u, ct)).Profile;
            }
            catch (Exception ex) when (ex is AskTimeoutException or TimeoutException or InvalidOperationException)
            {
                return null;
            }
        }));
        var users = new List<(string User, float[] Unit)>();
        for (var i = 0; i < sample.Count; i++)
        {
            var unit = new float[snapshot.Options.Dimension];
            if (reads[i] is { } profile && Vectors.Normalize(profile.Vector, unit)) users.Add((sample[i], unit));
        }
        var centroids = Enumerable.Range(0, snapshot.SegmentCount).Select(k => snapshot.Centroid(k).ToArray()).ToList();
        var plane = Projection2D.Fit([.. centroids, .. users.Select(u => u.Unit)]);
        var centroidPoints = centroids.Select((c, k) => plane.Project(c) is var (x, y) ? new MapPoint(null, k, x, y) : null!).ToList();
        var userPoints = users.Select(u => plane.Project(u.Unit) is var (x, y) ? new MapPoint(u.User, snapshot.NearestSegment(u.Unit), x, y) : null!).ToList();
        return new SegmentsView(node.Id, snapshot.Version, node.EventsFolded, segments, centroidPoints, userPoints);
    }
}

/// <summary>The cluster as one node sees it, for the dashboard.</summary>
/// <param name="Node">The node answering.</param>
/// <param name="NotReady">Why the node is not ready, or null when it is.</param>
/// <param name="Time">When this was read, epoch ms.</param>
/// <param name="Members">The cluster's members, with the partitions each hosts.</param>
/// <param name="Unreachable">Members the failure detector cannot reach.</param>
/// <param name="EventsApplied">Events applied on this node.</param>
/// <param name="EventsFolded">Events in the partials folded into this node's model.</param>
/// <param name="ResidentUsers">Users held in memory here.</param>
/// <param name="ModelVersion">The model snapshot's version.</param>
/// <param name="Requests">Recommendations computed here.</param>
/// <param name="Latency">Percentiles of the latest recommendations, or null before any.</param>
/// <param name="DeadLetters">Records this node sent to the dead-letter topic (acknowledged).</param>
/// <param name="DeadLettersByCode">Dead letters by reason code.</param>
public sealed record ClusterView(string Node, string? NotReady, long Time, IReadOnlyList<MemberView> Members, IReadOnlyList<string> Unreachable,
    long EventsApplied, long EventsFolded, long ResidentUsers, long ModelVersion, long Requests,
    LatencyView? Latency, long DeadLetters, IReadOnlyDictionary<string, long> DeadLettersByCode);

/// <summary>A cluster member.</summary>
/// <param name="Address">Its Akka address.</param>
/// <param name="Self">Whether it is the node answering.</param>
/// <param name="Status">Its membership status (Up, Leaving, …).</param>
/// <param name="Roles">Its roles.</param>
/// <param name="Node">Its node id, when it answered.</param>
/// <param name="EventsApplied">Events applied there, when it answered.</param>
/// <param name="Partitions">The partitions it runs (with positions and lag when it answered; else the shards the coordinator placed there).</param>
public sealed record MemberView(string Address, bool Self, string Status, IReadOnlyList<string> Roles, string? Node, long? EventsApplied,
    IReadOnlyList<PartitionView> Partitions);

/// <summary>A partition on a member; the figures are null where the member did not say.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Position">The next offset to read.</param>
/// <param name="Checkpoint">The committed checkpoint.</param>
/// <param name="Lag">Records produced but not read yet (null before the first fetch).</param>
public sealed record PartitionView(int Partition, long? Position, long? Checkpoint, long? Lag);

/// <summary>Recommendation latency percentiles, in ms.</summary>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Of">How many recent requests they are over.</param>
public sealed record LatencyView(double P50, double P95, double P99, int Of);

/// <summary>The segments, and a picture of the profile space.</summary>
/// <param name="Node">The node answering.</param>
/// <param name="ModelVersion">The model snapshot's version.</param>
/// <param name="EventsFolded">Events folded into the model.</param>
/// <param name="Segments">Each segment.</param>
/// <param name="Centroids">The centroids on the principal plane of centroids and sampled users.</param>
/// <param name="Users">A sample of this node's users on the same plane, with their nearest segment.</param>
public sealed record SegmentsView(string Node, long ModelVersion, long EventsFolded, IReadOnlyList<SegmentView> Segments,
    IReadOnlyList<MapPoint> Centroids, IReadOnlyList<MapPoint> Users);

/// <summary>One segment.</summary>
/// <param name="Segment">Its index.</param>
/// <param name="Weight">Its decayed weight (point mass).</param>
/// <param name="Share">Its share of all segments' weight.</param>
/// <param name="Drift">How far its centroid moved in the last fold.</param>
/// <param name="TopItems">Its best items, with titles where the catalogue has them.</param>
public sealed record SegmentView(int Segment, double Weight, double Share, double Drift, IReadOnlyList<TitledItem> TopItems);

/// <summary>An item with its title (null when the catalogue has none) and score.</summary>
public sealed record TitledItem(string ItemId, string? Title, float Score);

/// <summary>A point of the map: a centroid (no user) or a user, and the segment it belongs to.</summary>
public sealed record MapPoint(string? UserId, int Segment, float X, float Y);

/// <summary>Titles by item id (ids without one are left out).</summary>
public sealed record ItemTitles(IReadOnlyDictionary<string, string> Titles);

/// <summary>Whether this node's API needs a bearer token (asked by the dashboard before anything else).</summary>
public sealed record AuthInfo(bool TokenRequired);
