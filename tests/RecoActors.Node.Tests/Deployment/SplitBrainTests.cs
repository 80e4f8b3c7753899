using RecoActors.Node.Cli;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>A split simulated on one machine: a node frozen past the split-brain resolver's decision, then resumed.</summary>
[Collection(ProcessCluster.Collection)]
public sealed class SplitBrainTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_node_frozen_past_the_resolver_s_decision_is_downed_exits_non_zero_and_nothing_is_applied_twice()
    {
        var expected = SampleData.EventsPerUser();
        await using var cluster = await ProcessCluster.StartAsync("split");
        var nodes = Enumerable.Range(0, 3).Select(i => cluster.StartNode($"node-{i}")).ToList();
        await ProcessCluster.SteadyAsync(nodes, Deadline);

        using var produce = RecoProcess.Start(null, "produce", SampleData.Ratings, "--bootstrap-servers", cluster.Bootstrap);
        await Eventually.True(async () => (await ProcessCluster.StatusAsync(nodes)).Sum(s => s?.EventsApplied ?? 0) >= 5_000, Deadline, "ingestion under way");
        var frozen = nodes[2];
        frozen.Process.Freeze();
        var majority = nodes[..2];
        // The majority downs the frozen node and takes its partitions over; then the frozen node runs on, with the
        // partitions it held still in its hands as far as it knows.
        await ProcessCluster.SteadyAsync(majority, Deadline);
        frozen.Process.Resume();

        var exit = await frozen.Process.WaitForExitAsync(Deadline);
        Assert.True(exit == ServeCommand.DownedExitCode, $"exit code {exit}:\n{frozen.Process.Output}");
        Assert.Contains("the cluster downed this node", frozen.Process.Output);
        Assert.Equal(0, await produce.WaitForExitAsync(Deadline));
        await ProcessCluster.SteadyAsync(majority, Deadline, caughtUp: true);
        await ProcessCluster.EveryUserAppliedOnceAsync(expected, majority, Deadline);
    }
}
