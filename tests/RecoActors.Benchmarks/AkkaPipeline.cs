using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Runtime;

namespace RecoActors.Benchmarks;

/// <summary>
/// The Akka runtime's real path minus Kafka: a one-node cluster whose partition actors read an in-memory feed (12
/// partitions, the producers' murmur2) and send every event to its user's entity; timed from the first event to the
/// checkpoint of every partition covering the last one (so every event is applied and durable).
/// </summary>
internal static class AkkaPipeline
{
    public const int Partitions = 12;

    /// <summary>
    /// Events per second with the journal on <paramref name="store"/>: until every event is applied, and until every
    /// partition's checkpoint covers its last event (so up to one commit interval more).
    /// </summary>
    public static async Task<Rates> RunAsync(IReadOnlyList<BehaviourEvent> events, ModelOptions options, PersistenceStore store)
    {
        using var feed = new MemoryFeed(Partitions);
        var (system, node) = await StartAsync(feed, options, store, new RuntimeOptions());
        try
        {
            var clock = Stopwatch.StartNew();
            foreach (var ev in events) feed.Append(Murmur2Partitioner.Partition(ev.UserId, Partitions), ev);
            return await MeasureAsync(clock, events.Count, 0, node, () => Enumerable.Range(0, Partitions).Sum(feed.CommittedOffset));
        }
        finally
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        }
    }

    /// <summary>Events per second until all are applied, and until all are durable (events applied before the clock started not counted).</summary>
    public readonly record struct Rates(double Applied, double Durable);

    private static async Task<Rates> MeasureAsync(Stopwatch clock, int events, long before, NodeContext node, Func<long> durable)
    {
        var deadline = TimeSpan.FromMinutes(5);
        double? applied = null;
        while (durable() < events)
        {
            if (clock.Elapsed > deadline) throw new TimeoutException($"applied {node.Applied} of {events} in {deadline}");
            if (applied is null && node.Applied >= events) applied = clock.Elapsed.TotalSeconds;
            await Task.Delay(1);
        }
        if (node.Applied != events) throw new InvalidOperationException($"applied {node.Applied} of {events}");
        return new Rates((events - before) / (applied ?? clock.Elapsed.TotalSeconds), (events - before) / clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Events per second with the events read from librdkafka's mock cluster (three brokers, loopback) through the node's
    /// <see cref="KafkaFeed"/>: produced beforehand, timed from the moment every partition runs to the checkpoint of
    /// every partition covering its end (the events read before the clock started are not counted).
    /// </summary>
    public static async Task<Rates> RunThroughKafkaAsync(IReadOnlyList<BehaviourEvent> events, ModelOptions options, PersistenceStore store)
    {
        using var cluster = MockKafkaCluster.Start(3);
        var kafka = new KafkaOptions { BootstrapServers = cluster.BootstrapServers };
        cluster.CreateTopics(kafka, Partitions);
        using (var producer = EventProducer.Create(kafka))
        {
            foreach (var ev in events) producer.Produce(ev);
            producer.Flush(TimeSpan.FromMinutes(2));
        }
        using var deadLetters = DeadLetterWriter.Create(kafka, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var feed = new KafkaFeed(kafka, "bench", Partitions, deadLetters, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var (system, node) = await StartAsync(feed, options, store, new RuntimeOptions());
        try
        {
            var clock = Stopwatch.StartNew();
            return await MeasureAsync(clock, events.Count, node.Applied, node, () => node.Progress.Sum(p => p.Checkpoint));
        }
        finally
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        }
    }

    /// <summary>
    /// Managed bytes that residency costs per user: 10,000 users with 20 events each, all resident and durable, against
    /// the same users after they are all passivated (their states still held by their partitions, the model unchanged);
    /// and the average size of a user's stored state, which the partition keeps for every user it has seen.
    /// </summary>
    public static async Task<(long Resident, long Stored)> BytesPerUserAsync(ModelOptions options)
    {
        const int users = 10_000;
        using var feed = new MemoryFeed(Partitions);
        var (system, node) = await StartAsync(feed, options, PersistenceStore.Memory, new RuntimeOptions());
        try
        {
            var rng = new Random(3);
            var items = Enumerable.Range(0, 10_000).Select(i => $"item-{i}").ToArray();
            var n = 0;
            for (var e = 0; e < 20; e++)
                for (var u = 0; u < users; u++)
                {
                    var user = $"user-{u}";
                    feed.Append(Murmur2Partitioner.Partition(user, Partitions), new BehaviourEvent(user, items[rng.Next(items.Length)], EventType.Rating, 4.5f, 1_600_000_000_000 + e));
                    n++;
                }
            while (Enumerable.Range(0, Partitions).Sum(feed.CommittedOffset) < n) await Task.Delay(10);
            if (node.Residents.Count != users) throw new InvalidOperationException($"{node.Residents.Count} resident, expected {users}");
            // Folded first both times: the model's pooled partials are then the same in both measurements.
            await node.Segments.Ask<ModelSnapshot>(SegmentCommand.FoldNow.Instance, TimeSpan.FromSeconds(30));
            var resident = Measure();
            for (var u = 0; u < users; u++) node.Region.Tell(new UserCommand.Evict($"user-{u}", Murmur2Partitioner.Partition($"user-{u}", Partitions)));
            while (node.Residents.Count > 0) await Task.Delay(10);
            await node.Segments.Ask<ModelSnapshot>(SegmentCommand.FoldNow.Instance, TimeSpan.FromSeconds(30));
            var passivated = Measure();
            var state = Enumerable.Range(0, 200).Select(u => node.Region.Ask<RecoActors.Protocol.UserRead>(new RecoActors.Protocol.ReadUser($"user-{u}"), TimeSpan.FromSeconds(10)).Result)
                .Average(r => MessagePack.MessagePackSerializer.Serialize(r.Profile, RecoActors.Protocol.ManifestSerializer.Options).Length);
            return ((resident - passivated) / users, (long)state);
        }
        finally
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        }

        static long Measure()
        {
            // Compacted, large objects too: under server GC an uncompacted heap's free space made the difference noisy.
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            return GC.GetTotalMemory(false);
        }
    }

    private static async Task<(ActorSystem, NodeContext)> StartAsync(IPartitionFeed feed, ModelOptions options, PersistenceStore store, RuntimeOptions runtime)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0 }, store, runtime));
        var system = ActorSystem.Create("bench", config);
        await RecoRuntime.JoinAsync(system, null, TimeSpan.FromSeconds(30));
        var node = new NodeContext("bench", "events", Partitions, runtime, new GlobalModel(options, new ItemCatalog()), feed);
        RecoRuntime.Start(system, node);
        while (node.Progress.Count(p => p.Running) < Partitions) await Task.Delay(10);
        return (system, node);
    }
}
