using System.Net.Http.Json;
using System.Text.Json;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Http;
using RecoActors.Protocol;

namespace RecoActors.Node.Tests;

public sealed class RoutingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_node_that_does_not_host_the_user_and_an_actor_client_answer_exactly_as_the_host_does()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartNodeAsync("node-a");
        var b = await cluster.StartNodeAsync("node-b");
        await Eventually.True(() => Running(a).Count > 0 && Running(b).Count > 0 && Running(a).Count + Running(b).Count == TestCluster.Partitions,
            Deadline, "both nodes run partitions, all 12 between them");

        var ratings = SampleData.Produce(cluster.Kafka, 20_000);
        await Eventually.True(() => a.Node.Context.Applied + b.Node.Context.Applied == ratings.Count
            && a.Node.EventsFolded == ratings.Count && b.Node.EventsFolded == ratings.Count,
            Deadline, "every event applied once and folded into both nodes' models");

        // Every node folded the same partials in the same order: the same model version everywhere.
        Assert.Equal(a.Node.Model.Current.Version, b.Node.Model.Current.Version);
        var seed = Akka.Cluster.Cluster.Get(a.Node.System).SelfAddress;
        await using var client = await RecommendationClient.ConnectAsync(new RecommendationClientOptions
        {
            Cluster = new ClusterOptions { Hostname = "127.0.0.1", Port = 0, SeedNodes = [$"{seed.Host}:{seed.Port}"] },
        });
        using var http = new HttpClient();
        var users = ratings.Select(r => r.UserId).Distinct().Take(40).Append("nobody-yet").ToList();
        var remote = 0;
        foreach (var user in users)
        {
            var owner = Running(a).Contains(a.Reads.PartitionOf(user)) ? a : b;
            var fromA = await GetAsync(http, a, user);
            var fromB = await GetAsync(http, b, user);
            Assert.Equal(owner.Node.Id, fromA.Node);
            Assert.Equal(owner.Node.Id, fromB.Node);
            Assert.Equal(JsonSerializer.Serialize(fromA.Items), JsonSerializer.Serialize(fromB.Items));
            Assert.Equal(10, fromA.Items.Count);
            Assert.Equal(user == "nobody-yet", fromA.ColdStart);
            Assert.Equal(a.Node.Model.Current.Version, fromA.ModelVersion);

            // Through the actor client: the same answer, from the same node.
            var fromClient = await client.RecommendAsync(user, 10);
            Assert.Equal((owner.Node.Id, fromA.ModelVersion, fromA.ColdStart), (fromClient.Node, fromClient.ModelVersion, fromClient.ColdStart));
            Assert.Equal(JsonSerializer.Serialize(fromA.Items), JsonSerializer.Serialize(fromClient.Items));
            remote += owner == a ? 1 : 0;

            // An actor message to the region from the other node reaches the same entity.
            var read = await b.Node.ReadUserAsync(user);
            Assert.Equal(owner.Node.Id, read.Node);
            Assert.Equal(user == "nobody-yet" ? null : ratings.Count(r => r.UserId == user), read.Profile?.EventsApplied);
        }
        Assert.InRange(remote, 1, users.Count - 1);

        // The segment view: the same segments on both nodes, from the same model version.
        var segmentsA = (await http.GetFromJsonAsync(new Uri(a.Address, "/v1/segments?top=3"), ApiJson.Default.SegmentsResponse))!;
        var segmentsB = (await http.GetFromJsonAsync(new Uri(b.Address, "/v1/segments?top=3"), ApiJson.Default.SegmentsResponse))!;
        Assert.Equal(a.Node.Settings.Model.Segments, segmentsA.Segments.Count);
        Assert.Equal((a.Node.Model.Current.Version, ratings.Count), (segmentsA.ModelVersion, segmentsA.EventsFolded));
        Assert.Equal(JsonSerializer.Serialize(segmentsA.Segments), JsonSerializer.Serialize(segmentsB.Segments));
        Assert.Equal(1.0, segmentsA.Segments.Sum(s => s.Share), 9);
        Assert.All(segmentsA.Segments, s => Assert.True(s.Drift >= 0 && double.IsFinite(s.Drift) && s.TopItems.Count <= 3, $"segment {s.Segment}"));
        Assert.Contains(segmentsA.Segments, s => s.Drift > 0 && s.TopItems.Count == 3);

        using var cli = RecoProcess.Start(null, "segments", "--node", a.Address.ToString(), "--top", "3");
        Assert.True(await cli.WaitForExitAsync(Deadline) == 0, cli.Output);
        Assert.Contains($"model version {segmentsA.ModelVersion} on node-a", cli.Output);
        var largest = segmentsA.Segments.MaxBy(s => s.Weight)!;
        Assert.Contains(string.Join(", ", largest.TopItems.Select(i => i.ItemId)), cli.Output);
        var asked = users[0];
        using var recommend = RecoProcess.Start(null, "recommend", asked, "--node", b.Address.ToString(), "-n", "3");
        Assert.True(await recommend.WaitForExitAsync(Deadline) == 0, recommend.Output);
        Assert.Contains($"user {asked}:", recommend.Output);
        Assert.Contains((await GetAsync(http, a, asked)).Items[0].ItemId, recommend.Output);
    }

    private static HashSet<int> Running(Hosting.NodeServer node) => [.. node.Node.Context.Progress.Where(p => p.Running).Select(p => p.Partition)];

    private static async Task<RecommendationsResponse> GetAsync(HttpClient http, Hosting.NodeServer node, string user)
    {
        var response = await http.GetAsync(new Uri(node.Address, $"/v1/users/{user}/recommendations?n=10"));
        Assert.True(response.IsSuccessStatusCode, $"{node.Node.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync(ApiJson.Default.RecommendationsResponse))!;
    }
}
