using System.Diagnostics;
using Xunit.Abstractions;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>What a StatefulSet rolling update does to the nodes: each pod in turn gets SIGTERM and is replaced.</summary>
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Three_nodes_restarted_one_by_one_with_SIGTERM_while_events_flow_lose_nothing_and_apply_nothing_twice()
    {
        var ratingsFile = Path.Combine(SampleData.Folder, "ratings.csv");
        var expected = BlackBoxTests.EventsPerUser(ratingsFile);
        // The nodes run with the manifests' settings (the ConfigMap), on this machine's addresses.
        await using var cluster = await ProcessCluster.StartAsync("rolling", Manifests.ConfigMap());
        var nodes = Enumerable.Range(0, 3).Select(i => cluster.StartNode($"reco-node-{i}")).ToList();
        await ProcessCluster.SteadyAsync(nodes, Deadline);

        // Paced, so the stream outlasts the three restarts.
        using var produce = RecoProcess.Start(null, "produce", ratingsFile, "--bootstrap-servers", cluster.Bootstrap, "--rate", "2000");
        var limit = ManifestTests.GracePeriod - ManifestTests.PreStopPause();
        for (var i = 0; i < nodes.Count; i++)
        {
            var start = (await ProcessCluster.StatusAsync(nodes)).Sum(s => s?.EventsApplied ?? 0);
            await Eventually.True(async () => (await ProcessCluster.StatusAsync(nodes)).Sum(s => s?.EventsApplied ?? 0) >= start + 3_000,
                Deadline, "events flowing into every node's partitions").OrExplain(() => ProcessCluster.Diagnostics(nodes));
            Assert.False(produce.HasExited, $"the stream ended before {nodes[i]} was restarted: not while events flow");

            var old = nodes[i];
            var clock = Stopwatch.StartNew();
            old.Process.Terminate();
            var exitCode = await old.Process.WaitForExitAsync(limit);
            var exited = clock.Elapsed;
            Assert.True(exitCode == 0, $"{old} exited with {exitCode}:\n{old.Process.Output}");
            Assert.DoesNotContain("fail:", old.Process.Output, StringComparison.Ordinal);
            old.Http.Dispose();

            // The replacement pod: same name, same address.
            nodes[i] = cluster.StartNode(old.Id, old.Port);
            await ProcessCluster.SteadyAsync(nodes, Deadline);
            output.WriteLine($"{old}: exited {exited.TotalMilliseconds:F0} ms after SIGTERM (limit {limit.TotalSeconds} s); group steady again after {clock.Elapsed.TotalSeconds:F1} s");
        }
        Assert.Equal(0, await produce.WaitForExitAsync(Deadline));

        await ProcessCluster.SteadyAsync(nodes, Deadline, caughtUp: true);
        await ProcessCluster.EveryUserAppliedOnceAsync(expected, nodes, Deadline);
        output.WriteLine($"{expected.Values.Sum()} events for {expected.Count} users, each applied exactly once");
    }
}
