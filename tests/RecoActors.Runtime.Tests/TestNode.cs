using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>One node (an ActorSystem on loopback, a cluster member) running the runtime on a given feed and store.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);
    private bool _stopped;

    private TestNode(ActorSystem system, RecoRuntime runtime)
    {
        System = system;
        Runtime = runtime;
    }

    public ActorSystem System { get; }

    public RecoRuntime Runtime { get; }

    public NodeContext Context => Runtime.Node;

    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>Crashes the node: its actor system stops without leaving the cluster or handing anything off.</summary>
    public async Task KillAsync()
    {
        _stopped = true;
        await System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts a node and waits until it is Up; it joins <paramref name="seed"/>, or forms a cluster of its own.</summary>
    public static async Task<TestNode> StartAsync(string id, PersistenceStore store, IPartitionFeed feed, int partitions, ModelOptions model,
        RuntimeOptions? options = null, Address? seed = null, Action<NodeContext>? configure = null, ITextEmbedder? text = null)
    {
        options ??= new RuntimeOptions();
        var config = ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.cluster.min-nr-of-members = 1
                akka.cluster.sharding.retry-interval = 200ms
                akka.cluster.sharding.coordinator-state.write-majority-plus = 0
                akka.cluster.sharding.coordinator-state.read-majority-plus = 0
                # A terminated system stops without leaving: that is how a test crashes a node.
                akka.coordinated-shutdown.run-by-actor-system-terminate = off
                akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
                """)
            .WithFallback(RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0, StableAfter = TimeSpan.FromSeconds(3) }, store, options));
        var system = ActorSystem.Create("reco", config);
        await RecoRuntime.JoinAsync(system, seed, JoinTimeout);
        var context = new NodeContext(id, "events", partitions, options, new GlobalModel(model, new ItemCatalog(), text), feed);
        configure?.Invoke(context);
        return new TestNode(system, RecoRuntime.Start(system, context));
    }

    /// <summary>A SQLite file in a folder of its own.</summary>
    public static PersistenceStore Sqlite(string folder) => PersistenceStore.Sqlite(Path.Combine(folder, "reco.db"));

    public async Task<UserRead> ReadAsync(string userId) => await Runtime.ReadUserAsync(userId, TimeSpan.FromSeconds(10));

    /// <summary>Leaves the cluster gracefully (hand-off of every shard) and terminates.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).WaitAsync(TimeSpan.FromSeconds(60));
    }
}

/// <summary>Awaits a condition with a deadline: synchronisation for tests, never a fixed sleep.</summary>
internal static class Eventually
{
    public static Task True(Func<bool> condition, TimeSpan within, string what) => True(condition, within, () => what);

    /// <summary>As above, with the situation described when the deadline passes.</summary>
    public static async Task True(Func<bool> condition, TimeSpan within, Func<string> what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {within.TotalSeconds:0.#} s: {what()}");
            await Task.Delay(20);
        }
    }
}
