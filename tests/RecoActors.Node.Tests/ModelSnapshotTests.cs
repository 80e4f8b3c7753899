using System.Net.Http.Json;
using System.Text.Json;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Node.Http;
using RecoActors.Runtime;
using Akka.Actor;

namespace RecoActors.Node.Tests;

/// <summary>The segment model is persisted: a cluster restarted from cold, and a node that starts late, load it and read only the tail of the partials topic.</summary>
public sealed class ModelSnapshotTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly Dictionary<string, string?> SnapshotEverySecond = new() { ["Reco:Shards:ModelSnapshotInterval"] = "00:00:01" };

    [Fact]
    public async Task A_cluster_restarted_from_cold_comes_back_with_the_same_model_and_the_same_recommendations()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartNodeAsync("node-a", SnapshotEverySecond);
        var b = await cluster.StartNodeAsync("node-b", SnapshotEverySecond);
        var ratings = SampleData.Produce(cluster.Kafka, 20_000);
        await Eventually.True(() => a.Node.Context.Applied + b.Node.Context.Applied == ratings.Count
            && a.Node.EventsFolded == ratings.Count && b.Node.EventsFolded == ratings.Count, Deadline, "every event applied and folded on both nodes");
        var version = a.Node.Model.Current.Version;
        var weights = a.Node.Model.Current.Weights.ToArray();
        Assert.Equal(version, b.Node.Model.Current.Version);
        // Only the oldest node writes the model.
        await Eventually.True(() => a.Node.SavedModelVersion == version, Deadline, $"node a saved model version {version}");
        Assert.Equal(-1, b.Node.SavedModelVersion);

        var users = ratings.Select(r => r.UserId).Distinct().Take(20).ToList();
        using var http = new HttpClient();
        var before = new Dictionary<string, string>();
        foreach (var user in users) before[user] = await ItemsAsync(http, a, user);
        await cluster.StopAllAsync();

        var a2 = await cluster.StartNodeAsync("node-a", SnapshotEverySecond);
        var b2 = await cluster.StartNodeAsync("node-b", SnapshotEverySecond);
        // Straight from the snapshot: the topic is read on after the last partial it holds, and nothing is left to fold.
        foreach (var node in new[] { a2, b2 })
        {
            Assert.Equal(version, node.Node.Model.Current.Version);
            Assert.Equal(weights, node.Node.Model.Current.Weights);
            Assert.True(node.Node.ExchangeFrom.Resume > 0, $"{node.Node.Id} read the partials topic from offset {node.Node.ExchangeFrom.Resume}");
        }
        await Eventually.True(() => a2.Node.Context.Progress.Count(p => p.Running) + b2.Node.Context.Progress.Count(p => p.Running) == TestCluster.Partitions,
            Deadline, "every partition running again");
        foreach (var user in users) Assert.Equal(before[user], await ItemsAsync(http, a2, user));
        Assert.Equal(0, a2.Node.EventsFolded + b2.Node.EventsFolded);
        Assert.Equal(version, a2.Node.Model.Current.Version);
    }

    [Fact]
    public async Task A_node_joins_only_once_its_model_holds_every_partial_published_before_it_started()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartNodeAsync("node-a");
        var ratings = SampleData.Produce(cluster.Kafka, 20_000);
        await Eventually.True(() => a.Node.Context.Applied == ratings.Count && a.Node.EventsFolded == ratings.Count, Deadline, "every event applied and folded on node a");
        var version = a.Node.Model.Current.Version;

        // No snapshot yet: node b reads the whole partials topic. Up means shards can move to it at once, and its
        // users are ranked from its model: by then that model is node a's.
        var b = await cluster.StartNodeAsync("node-b");
        Assert.Equal(0, b.Node.ExchangeFrom.Resume);
        Assert.True(b.Node.Up.IsCompletedSuccessfully);
        Assert.Equal(ratings.Count, b.Node.EventsFolded);
        Assert.Equal(version, b.Node.Model.Current.Version);
        Assert.Equal(a.Node.Model.Current.Weights, b.Node.Model.Current.Weights);
    }

    [Fact]
    public async Task A_partials_topic_of_more_than_one_partition_stops_the_start_naming_the_setting()
    {
        await using var cluster = new TestCluster();
        cluster.Cluster.CreateTopic("reco.partials-3", 3);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cluster.StartNodeAsync("node-a", new Dictionary<string, string?> { ["Reco:Kafka:PartialsTopic"] = "reco.partials-3" }));
        Assert.Contains("topic 'reco.partials-3' (Reco:Kafka:PartialsTopic) has 3 partitions; it must have one", ex.Message);
    }

    [Fact]
    public async Task A_node_that_joins_late_starts_from_the_snapshot_and_folds_only_the_tail_to_the_same_model()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartNodeAsync("node-a", SnapshotEverySecond);
        var ratings = SampleData.Produce(cluster.Kafka, 10_000);
        await Eventually.True(() => a.Node.Context.Applied == ratings.Count && a.Node.EventsFolded == ratings.Count, Deadline, "every event applied and folded on node a");
        var saved = a.Node.Model.Current.Version;
        await Eventually.True(() => a.Node.SavedModelVersion == saved, Deadline, $"node a saved model version {saved}");

        var b = await cluster.StartNodeAsync("node-b", SnapshotEverySecond);
        Assert.True(b.Node.ExchangeFrom.Resume > 0, $"node b read the partials topic from offset {b.Node.ExchangeFrom.Resume}");
        Assert.Equal(saved, b.Node.Model.Current.Version);
        // What comes after the snapshot reaches both alike.
        var more = SampleData.Produce(cluster.Kafka, 2_000, skip: ratings.Count).Count;
        await Eventually.True(() => a.Node.Context.Applied + b.Node.Context.Applied == ratings.Count + more
            && a.Node.EventsFolded == ratings.Count + more && b.Node.EventsFolded == more,
            Deadline, "the tail applied, and folded into both models (node b: the tail only)");
        await Eventually.True(() => a.Node.Model.Current.Version == b.Node.Model.Current.Version, Deadline, "both models at one version");
        Assert.Equal(a.Node.Model.Current.Weights, b.Node.Model.Current.Weights);
        for (var k = 0; k < a.Node.Settings.Model.Segments; k++)
            Assert.Equal(a.Node.Model.Current.TopItems(k, 20), b.Node.Model.Current.TopItems(k, 20));
    }

    [Fact]
    public async Task A_model_snapshot_that_cannot_be_read_stops_the_start_with_the_reason_and_is_left_as_it_is()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.StartNodeAsync("node-a");
        var id = ModelCheckpoint.PersistenceId(cluster.Kafka.PartialsTopic);
        // Written through the default store, as before the model had a store of its own: the table is the same.
        var store = Akka.Persistence.Persistence.Instance.Apply(node.Node.System).SnapshotStoreFor(null);
        var garbage = new ModelCheckpoint(7, 10, 11, new byte[] { 1, 2, 3 });
        await store.Ask<Akka.Persistence.SaveSnapshotSuccess>(new Akka.Persistence.SaveSnapshot(new Akka.Persistence.SnapshotMetadata(id, 0, DateTime.UtcNow), garbage), TimeSpan.FromSeconds(10));
        await cluster.StopAllAsync();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => cluster.StartNodeAsync("node-a"));
        var message = failure.ToString();
        Assert.Contains($"the model snapshot '{id}' (3 bytes, version 7) cannot be read: the model state is truncated", message);
        Assert.Contains("It is left as it is", message);

        // Still there, unchanged, for whoever repairs it.
        var other = await cluster.StartNodeAsync("node-b", new Dictionary<string, string?> { ["Reco:Exchange"] = "false" });
        var kept = await new ModelSnapshots(id, TimeSpan.FromMinutes(1)).LoadAsync(other.Node.System, TimeSpan.FromSeconds(10));
        Assert.Equal(garbage.State.ToArray(), kept!.State.ToArray());
    }

    private static async Task<string> ItemsAsync(HttpClient http, NodeServer node, string user)
    {
        var answer = (await http.GetFromJsonAsync(new Uri(node.Address, $"/v1/users/{user}/recommendations?n=10"), ApiJson.Default.RecommendationsResponse))!;
        return JsonSerializer.Serialize(answer.Items);
    }
}
