using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>The built node, started with the StatefulSet's environment, as a pod would be.</summary>
public sealed class ConfigMapNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_node_accepts_the_manifests_settings_answers_its_probes_and_stops_within_the_grace_period()
    {
        await using var cluster = await ProcessCluster.StartAsync("configmap", clusterBootstrap: true);
        var port = RecoProcess.FreePort();
        // Only addresses change: this machine's Kafka, database, loopback and free ports instead of the cluster's.
        var environment = new Dictionary<string, string>(ManifestTests.ConfigMapNodeEnvironment)
        {
            ["RECO__KAFKA__BOOTSTRAPSERVERS"] = cluster.Bootstrap,
            ["RECO__HTTP__PORT"] = $"{port}",
        };
        foreach (var (key, value) in cluster.Store) environment[key] = value;
        var addresses = cluster.ClusterEnvironment(Manifests.PodName);
        foreach (var (key, value) in addresses) environment[key] = value;
        // Alone, as if the other pods could not be scheduled: it is the only contact point, and one is enough to form a cluster.
        foreach (var key in environment.Keys.Where(k => k.StartsWith("RECO__DISCOVERY__ENDPOINTS__", StringComparison.Ordinal) && !k.EndsWith("__0", StringComparison.Ordinal)).ToList())
            environment.Remove(key);
        environment["RECO__DISCOVERY__REQUIREDCONTACTPOINTS"] = "1";
        output.WriteLine(string.Join('\n', environment.Keys.Order().Select(k =>
            $"{k} from {(environment[k] == ManifestTests.ConfigMapNodeEnvironment.GetValueOrDefault(k) ? "the manifests" : "the test")}")));

        using var process = RecoProcess.Start(environment, "serve");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            var path = ManifestTests.Probe(probe);
            await Eventually.True(async () => !process.HasExited && await StatusAsync(http, path) == HttpStatusCode.OK, Deadline, $"{probe} {path} answers 200")
                .OrExplain(() => process.Output);
        }
        var node = new ProcessNode(ManifestTests.ConfigMapNodeEnvironment["RECO__NODE__ID"], port, process, http);
        Assert.Equal(Manifests.PodName, (await ProcessCluster.StatusAsync(node))!.Node);

        var clock = Stopwatch.StartNew();
        process.Terminate();
        var limit = ManifestTests.GracePeriod - ManifestTests.PreStopPause;
        Assert.Equal(0, await process.WaitForExitAsync(limit));
        output.WriteLine($"exited {clock.ElapsedMilliseconds} ms after SIGTERM (limit {limit.TotalSeconds} s)");
    }

    [Fact]
    public async Task A_store_that_cannot_be_opened_stops_the_node_with_a_sentence_that_keeps_the_password_out()
    {
        using var kafka = RecoActors.Kafka.MockKafkaCluster.Start(1);
        kafka.CreateTopic("reco.events", 2);
        using var process = RecoProcess.Start(new Dictionary<string, string>
        {
            ["RECO__KAFKA__BOOTSTRAPSERVERS"] = kafka.BootstrapServers,
            ["RECO__HTTP__PORT"] = "0",
            ["RECO__STORE__KIND"] = "postgres",
            // Nothing listens on port 1.
            ["RECO__STORE__CONNECTIONSTRING"] = "Host=127.0.0.1;Port=1;Username=reco;Password=never-printed-9f3;Timeout=3",
        }, "serve");
        Assert.Equal(1, await process.WaitForExitAsync(Deadline));
        Assert.Contains("cannot start: the postgres store (Reco:Store) cannot be opened: Failed to connect to 127.0.0.1:1", process.Output);
        Assert.DoesNotContain("never-printed-9f3", process.Output);
        Assert.DoesNotContain("   at ", process.Output);
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
