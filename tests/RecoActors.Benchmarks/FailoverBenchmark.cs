using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Protocol;
using RecoActors.Runtime;

namespace RecoActors.Benchmarks;

/// <summary>
/// Seconds from a node's crash until every user answers again from the survivors: three nodes (ActorSystems on
/// loopback) sharing a SQLite store, 20,000 users with 5 events each, all durable; one node is terminated without
/// leaving; once the survivors run every partition, every user is asked until it answers with all its events.
/// </summary>
internal static class FailoverBenchmark
{
    private const int Partitions = 12, Users = 20_000;

    public static async Task RunAsync()
    {
        var folder = Directory.CreateTempSubdirectory("reco-failover-");
        var store = PersistenceStore.Sqlite(Path.Combine(folder.FullName, "reco.db"));
        using var feed = new MemoryFeed(Partitions);
        var options = new ModelOptions();
        var a = await StartAsync("a", store, feed, options, null);
        var b = await StartAsync("b", store, feed, options, Cluster.Get(a.System).SelfAddress);
        var c = await StartAsync("c", store, feed, options, Cluster.Get(a.System).SelfAddress);
        while (new[] { a, b, c }.Any(n => n.Node.Progress.Count != 4)) await Task.Delay(50);

        var rng = new Random(9);
        var events = 0;
        for (var e = 0; e < 5; e++)
            for (var u = 0; u < Users; u++, events++)
            {
                var user = $"user-{u}";
                feed.Append(Murmur2Partitioner.Partition(user, Partitions), new BehaviourEvent(user, $"item-{rng.Next(5_000)}", EventType.Rating, 4.5f, 1_600_000_000_000 + e));
            }
        while (Enumerable.Range(0, Partitions).Sum(feed.CommittedOffset) < events) await Task.Delay(20);
        Console.WriteLine($"{Users:N0} users, {events:N0} events durable on 3 nodes ({Environment.ProcessorCount} cores); terminating node c (4 partitions, {c.Node.Residents.Count:N0} resident users)");

        var clock = Stopwatch.StartNew();
        var crashed = Cluster.Get(c.System).SelfAddress;
        var timeline = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var watcher = a.System.ActorOf(Props.Create(() => new Timeline(crashed, clock, timeline)));
        Cluster.Get(a.System).Subscribe(watcher, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.MemberDowned), typeof(ClusterEvent.MemberRemoved));
        _ = Task.Run(async () =>
        {
            while (a.Node.Progress.Count(p => p.Running) + b.Node.Progress.Count(p => p.Running) < Partitions) await Task.Delay(20);
            timeline.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s: all 12 partitions running on the survivors");
        });
        await c.System.Terminate();
        timeline.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s: the crashed node's actor system has terminated");
        // Asking every user while the cluster is still deciding would load the survivors and slow their failure
        // detection: wait (cheaply) until the survivors run every partition, then ask every user at once, each retried
        // until it answers with all its events. The last first answer is the fail-over time.
        while (a.Node.Progress.Count(p => p.Running) + b.Node.Progress.Count(p => p.Running) < Partitions && clock.Elapsed < TimeSpan.FromMinutes(3))
            await Task.Delay(20);
        var answered = await Task.WhenAll(Enumerable.Range(0, Users).Select(async u =>
        {
            while (clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                try
                {
                    // The region buffers an ask while the user's shard has no home, so an ask under way is answered as soon
                    // as the shard starts; a client retries when one times out.
                    var read = await a.Region.Ask<UserRead>(new ReadUser($"user-{u}"), TimeSpan.FromSeconds(2));
                    if (read.Profile?.EventsApplied == 5) return clock.Elapsed;
                }
                catch (Exception ex) when (ex is TimeoutException or AskTimeoutException or TaskCanceledException)
                {
                }
            }
            throw new TimeoutException($"user-{u} did not answer from a survivor within 3 minutes");
        }));
        var sorted = answered.Order().ToArray();
        foreach (var line in timeline) Console.WriteLine($"  {line}");
        Console.WriteLine($"fail-over: every user answered again from a survivor {sorted[^1].TotalSeconds:0.0} s after the crash (first answer {sorted[0].TotalSeconds:0.0} s, median {sorted[Users / 2].TotalSeconds:0.0} s)");
        foreach (var n in new[] { a, b }) await CoordinatedShutdown.Get(n.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }

    private sealed class Timeline(Address crashed, Stopwatch clock, System.Collections.Concurrent.ConcurrentQueue<string> lines) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is ClusterEvent.IMemberEvent { Member.Address: var address } e && address == crashed) lines.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s: {e.GetType().Name}");
            else if (message is ClusterEvent.UnreachableMember u && u.Member.Address == crashed) lines.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s: unreachable");
        }
    }

    private sealed record Member(ActorSystem System, NodeContext Node, IActorRef Region);

    private static async Task<Member> StartAsync(string id, PersistenceStore store, MemoryFeed feed, ModelOptions options, Address? seed)
    {
        var runtime = new RuntimeOptions();
        var config = ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.coordinated-shutdown.run-by-actor-system-terminate = off
                """)
            .WithFallback(RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0 }, store, runtime));
        var system = ActorSystem.Create("reco", config);
        await RecoRuntime.JoinAsync(system, seed, TimeSpan.FromSeconds(30));
        var node = new NodeContext(id, "events", Partitions, runtime, new GlobalModel(options, new ItemCatalog()), feed);
        var started = RecoRuntime.Start(system, node);
        return new Member(system, node, started.Region);
    }
}
