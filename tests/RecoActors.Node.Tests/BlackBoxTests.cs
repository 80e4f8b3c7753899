using System.Net.Http.Json;
using System.Text.Json;
using RecoActors.Node.Http;
using RecoActors.Protocol;

namespace RecoActors.Node.Tests;

/// <summary>The tool as users run it: separate processes for Kafka, the nodes and the producer.</summary>
[Collection(ProcessCluster.Collection)]
public sealed class BlackBoxTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Three_nodes_one_killed_mid_stream_apply_every_valid_event_once()
    {
        var ratingsFile = SampleData.Ratings;
        var expected = SampleData.EventsPerUser();
        var total = expected.Values.Sum();

        // Small commits: more store traffic, and more to redo after the kill.
        await using var cluster = await ProcessCluster.StartAsync("blackbox", new Dictionary<string, string> { ["RECO__SHARDS__COMMITEVERY"] = "500" });
        var nodes = Enumerable.Range(0, 3).Select(i => cluster.StartNode($"node-{i}")).ToList();
        await ProcessCluster.SteadyAsync(nodes, Deadline);

        // At a rate that makes the stream last about ten seconds: unpaced, three nodes applied all of it between two
        // looks at their status once, and the kill came after the stream.
        using var produce = RecoProcess.Start(null, "produce", ratingsFile, "--bootstrap-servers", cluster.Bootstrap, "--rate", "10000");
        var victim = nodes[1];
        long appliedAtKill = 0;
        await Eventually.True(async () =>
        {
            appliedAtKill = (await ProcessCluster.StatusAsync(nodes)).Sum(s => s?.EventsApplied ?? 0);
            return appliedAtKill >= 5_000;
        }, Deadline, "ingestion under way");
        victim.Process.Kill();
        Assert.True(appliedAtKill < total, $"the kill came after all {total} events were applied: not mid-stream");
        Assert.Equal(0, await produce.WaitForExitAsync(Deadline));

        var survivors = nodes.Where(n => n != victim).ToList();
        await ProcessCluster.SteadyAsync(survivors, Deadline, caughtUp: true);
        await ProcessCluster.EveryUserAppliedOnceAsync(expected, survivors, Deadline);

        // Any survivor, over HTTP, and an actor client joined through them, give the same answer for every user: the
        // one its host ranks. Folds may still be arriving, so an answer counts when all three read the same model version.
        await using var client = await RecommendationClient.ConnectAsync(new RecommendationClientOptions
        {
            Cluster = new ClusterOptions { Hostname = "127.0.0.1", Port = 0, SeedNodes = [.. survivors.Select(cluster.Remoting)] },
        });
        foreach (var user in expected.Keys.Order(StringComparer.Ordinal).Take(40))
        {
            await Eventually.True(async () =>
            {
                var answers = await Task.WhenAll(survivors.Select(n => n.Http.GetFromJsonAsync($"/v1/users/{user}/recommendations?n=10", ApiJson.Default.RecommendationsResponse)));
                var viaClient = await client.RecommendAsync(user, 10);
                if (answers.Any(a => a!.ModelVersion != viaClient.ModelVersion)) return false;
                Assert.All(answers, a => Assert.Equal((viaClient.Node, JsonSerializer.Serialize(viaClient.Items)), (a!.Node, JsonSerializer.Serialize(a.Items))));
                Assert.Equal(expected[user], viaClient.EventsApplied);
                return true;
            }, Deadline, $"user {user}: the same answer from every survivor and the client");
        }
    }
}
