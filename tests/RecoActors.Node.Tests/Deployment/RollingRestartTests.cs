using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>What a StatefulSet rolling update does to the nodes: each pod in turn gets SIGTERM and is replaced.</summary>
[Collection(ProcessCluster.Collection)]
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Three_nodes_restarted_one_by_one_with_SIGTERM_while_events_flow_lose_nothing_and_apply_nothing_twice()
    {
        var expected = SampleData.EventsPerUser();
        var ratingsFile = SampleData.Ratings;
        // The nodes run with the manifests' settings (the ConfigMap), on this machine's addresses, and form the cluster by
        // Cluster Bootstrap as in Kubernetes (over their listed management endpoints rather than the pods the API lists).
        await using var cluster = await ProcessCluster.StartAsync("rolling", Manifests.ConfigMap(), clusterBootstrap: true);
        var nodes = Enumerable.Range(0, 3).Select(i => cluster.StartNode($"reco-node-{i}")).ToList();
        await ProcessCluster.SteadyAsync(nodes, Deadline);

        // Paced, so the stream outlasts the three restarts.
        const int rate = 500;
        var streaming = TimeSpan.FromSeconds(expected.Values.Sum() / (double)rate);
        using var produce = RecoProcess.Start(null, "produce", ratingsFile, "--bootstrap-servers", cluster.Bootstrap, "--rate", $"{rate}");
        var streamed = Stopwatch.StartNew();
        // A client asks for recommendations throughout, through the nodes a Service would route to.
        using var traffic = new ClientTraffic(nodes, [.. expected.Keys]);
        var limit = ManifestTests.GracePeriod - ManifestTests.PreStopPause;
        for (var i = 0; i < nodes.Count; i++)
        {
            var start = (await ProcessCluster.StatusAsync(nodes)).Sum(s => s?.EventsApplied ?? 0);
            await Eventually.True(async () => (await ProcessCluster.StatusAsync(nodes)).Sum(s => s?.EventsApplied ?? 0) >= start + 3_000,
                Deadline, "events flowing into every node's partitions").OrExplain(() => ProcessCluster.Diagnostics(nodes));
            Assert.False(produce.HasExited, $"the stream ended before {nodes[i]} was restarted: not while events flow");

            var old = nodes[i];
            // What preStop buys: the endpoint leaves the Service, and requests under way finish, before SIGTERM.
            await traffic.ExcludeAsync(i);
            var clock = Stopwatch.StartNew();
            old.Process.Terminate();
            var exitCode = await old.Process.WaitForExitAsync(limit);
            var exited = clock.Elapsed;
            Assert.True(exitCode == 0, $"{old} exited with {exitCode}:\n{old.Process.Output}");
            Assert.True(Errors(old.Process.Output).Length == 0, $"{old} logged an error while stopping:\n{old.Process.Output}");

            // The replacement pod: same name, same address; the Service routes to it again once it is ready.
            nodes[i] = cluster.StartNode(old.Id, old.Port);
            await ProcessCluster.SteadyAsync(nodes, Deadline);
            traffic.Include();
            output.WriteLine($"{old}: exited {exited.TotalMilliseconds:F0} ms after SIGTERM (limit {limit.TotalSeconds} s); all partitions running again after {clock.Elapsed.TotalSeconds:F1} s");
        }
        Assert.Equal(0, await produce.WaitForExitAsync(streaming - streamed.Elapsed + Deadline));
        var answers = await traffic.StopAsync();
        output.WriteLine($"recommendation requests during the restarts: {string.Join(", ", answers.Select(a => $"{a.Value} × {a.Key}"))}");
        // The region buffers a read while the user's shard moves; 503 only if the move outlasts the request timeout; anything
        // else (another status, no connection, another user's answer) is a defect.
        Assert.True(answers.Keys.All(k => k is "200" or "503"), string.Join("\n", traffic.Failures.Where(f => !f.Contains(": 503 ", StringComparison.Ordinal)).Take(5)));
        Assert.True(answers.GetValueOrDefault("200") > 0, "no request was answered");
        // Few, and each says why and that a retry will do.
        var unavailable = answers.GetValueOrDefault("503");
        Assert.True(unavailable <= answers.Values.Sum() / 100, $"{unavailable} of {answers.Values.Sum()} requests answered 503");
        Assert.All(traffic.Failures, f => Assert.Contains("its partition may be moving to another node", f));
        foreach (var node in nodes)
            Assert.True(Errors(node.Process.Output).Length == 0, $"{node} logged an error:\n{node.Process.Output}");

        await ProcessCluster.SteadyAsync(nodes, Deadline, caughtUp: true);
        await ProcessCluster.EveryUserAppliedOnceAsync(expected, nodes, Deadline);
        output.WriteLine($"{expected.Values.Sum()} events for {expected.Count} users, each applied exactly once");
    }

    /// <summary>
    /// The errors in a node's log, but Akka remoting's report of a peer that closed its connection as it stopped: the
    /// endpoint writer fails with "Disassociated" when the peer's socket closes before its "shutting down" reaches the
    /// reader (a race on every SIGTERM), and its supervisor logs that failure before gating the address.
    /// </summary>
    private static string[] Errors(string log) =>
        [.. log.Split('\n').Where(line => line.Contains("fail:", StringComparison.Ordinal)
            && !line.Contains("/endpointWriter] Disassociated Cause: Akka.Remote.EndpointDisassociatedException", StringComparison.Ordinal))];
}

/// <summary>One client asking for recommendations in a loop, round-robin over the nodes not excluded, counting the answers.</summary>
internal sealed class ClientTraffic : IDisposable
{
    private readonly IReadOnlyList<ProcessNode> _nodes;
    private readonly string[] _users;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly Task _loop;
    private int _excluded = -1;
    private long _completed;

    public ClientTraffic(IReadOnlyList<ProcessNode> nodes, string[] users)
    {
        _nodes = nodes;
        _users = users;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Answers other than 200, with their bodies.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Stops sending to node <paramref name="index"/> and waits until no request to it can still be under way.</summary>
    public Task ExcludeAsync(int index)
    {
        Volatile.Write(ref _excluded, index);
        var seen = Interlocked.Read(ref _completed);
        return Eventually.True(() => Interlocked.Read(ref _completed) >= seen + 2, TimeSpan.FromSeconds(30), "requests under way finished");
    }

    public void Include() => Volatile.Write(ref _excluded, -1);

    public async Task<IReadOnlyDictionary<string, int>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        return _answers;
    }

    private async Task LoopAsync()
    {
        for (var k = 0; !_stop.IsCancellationRequested; k++)
        {
            var excluded = Volatile.Read(ref _excluded);
            var candidates = Enumerable.Range(0, _nodes.Count).Where(j => j != excluded).ToArray();
            var node = _nodes[candidates[k % candidates.Length]];
            var user = _users[k % _users.Length];
            string answer;
            try
            {
                using var response = await node.Http.GetAsync($"/v1/users/{user}/recommendations?n=5");
                answer = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != System.Net.HttpStatusCode.OK) Failures.Enqueue($"{user} via {node}: {answer} {body}");
                // An answer for another user than the one asked about would be the worst defect of all.
                else if (System.Text.Json.JsonSerializer.Deserialize(body, RecoActors.Node.Http.ApiJson.Default.RecommendationsResponse)!.UserId != user)
                    answer = "another user's answer";
            }
            catch (HttpRequestException ex)
            {
                answer = "no connection";
                Failures.Enqueue($"{user} via {node}: {ex.Message}");
            }
            _answers.AddOrUpdate(answer, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _completed);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
