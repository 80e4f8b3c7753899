using System.Net.Http.Json;
using System.Text.Json;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Http;
using RecoActors.Node.Routing;

namespace RecoActors.Node.Tests;

public sealed class RoutingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_node_that_does_not_own_the_user_answers_exactly_as_the_owner_does()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartNodeAsync("node-a");
        var b = await cluster.StartNodeAsync("node-b");
        await Eventually.True(() => a.Node.Actors.Region.Partitions.Count > 0 && b.Node.Actors.Region.Partitions.Count > 0
            && a.Node.Actors.Region.Partitions.Count + b.Node.Actors.Region.Partitions.Count == TestCluster.Partitions,
            Deadline, "both nodes hold partitions, all 12 between them");

        List<Rating> ratings;
        using (var reader = new StreamReader(SampleData.Ratings))
            ratings = [.. RatingsFile.Read(reader).Ratings.Take(20_000)];
        using (var producer = EventProducer.Create(cluster.Kafka))
        {
            foreach (var r in ratings) producer.Produce(r.ToEvent());
            producer.Flush(TimeSpan.FromSeconds(60));
        }
        await Eventually.True(() => a.Node.Actors.Region.Applied + b.Node.Actors.Region.Applied == ratings.Count
            && a.Node.Actors.EventsFolded == ratings.Count && b.Node.Actors.EventsFolded == ratings.Count,
            Deadline, "every event applied once and folded into both nodes' models");

        using var http = new HttpClient();
        var users = ratings.Select(r => r.UserId).Distinct().Take(40).Append("nobody-yet").ToList();
        var forwarded = 0;
        foreach (var user in users)
        {
            var owner = a.Node.Actors.Region.Holds(a.Router.PartitionOf(user)) ? a : b;
            var fromA = await GetAsync(http, a, user);
            var fromB = await GetAsync(http, b, user);
            Assert.Equal(owner.Node.Id, fromA.Node);
            Assert.Equal(owner.Node.Id, fromB.Node);
            Assert.Equal(JsonSerializer.Serialize(fromA.Items), JsonSerializer.Serialize(fromB.Items));
            Assert.Equal(10, fromA.Items.Count);
            Assert.Equal(user == "nobody-yet", fromA.ColdStart);
            forwarded += owner == a ? 1 : 0;

            // The in-process Recommend message takes the same route and gives the same answer.
            var viaActor = await b.RouterActor.Ask<RecommendationsResponse>(reply => new RouterMessage.Recommend(user, 10, reply), TimeSpan.FromSeconds(10));
            Assert.Equal(JsonSerializer.Serialize(fromA.Items), JsonSerializer.Serialize(viaActor.Items));
        }
        Assert.InRange(forwarded, 1, users.Count - 1);
    }

    private static async Task<RecommendationsResponse> GetAsync(HttpClient http, Hosting.NodeServer node, string user)
    {
        var response = await http.GetAsync(new Uri(node.Address, $"/v1/users/{user}/recommendations?n=10"));
        Assert.True(response.IsSuccessStatusCode, $"{node.Node.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync(ApiJson.Default.RecommendationsResponse))!;
    }
}
