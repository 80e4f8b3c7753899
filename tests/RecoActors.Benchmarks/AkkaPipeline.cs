using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Protocol;
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

    /// <summary>CPU time the process has used, on all its threads.</summary>
    public static TimeSpan ProcessCpu => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>
    /// Events per second until applied and until durable, and the process's CPU time per event until applied (µs: on 2
    /// cores, what the rows compete for); the events counted and the CPU time until applied by kind of thread.
    /// </summary>
    public readonly record struct Rates(double Applied, double Durable, double CpuMicros, long Counted = 0, ThreadCpu? Threads = null);

    /// <summary>
    /// A one-node cluster kept running across the measured runs, as a node runs: each run feeds it the next batch of the
    /// same users' events. A node per run measured the JIT as much as the node: every new actor system brought hundreds
    /// of methods to compile (linq2db's queries, Akka's start-up), 2–3.7 s of JIT time in runs of 4–6 s of CPU, and the
    /// rows never got under 5% of it within 8 runs.
    /// </summary>
    public sealed class Node : IAsyncDisposable
    {
        private readonly ActorSystem _system;
        private readonly NodeContext _node;
        private readonly MemoryFeed? _memory;
        private readonly Kafka? _kafka;
        private long _total;

        private Node(ActorSystem system, NodeContext node, MemoryFeed? memory, Kafka? kafka)
        {
            _system = system;
            _node = node;
            _memory = memory;
            _kafka = kafka;
        }

        /// <summary>
        /// A node reading an in-memory feed, or (<paramref name="throughKafka"/>) librdkafka's mock cluster (three brokers,
        /// loopback) through the node's <see cref="KafkaFeed"/>; its journal on <paramref name="store"/>.
        /// </summary>
        /// <param name="options">The model.</param>
        /// <param name="store">The persistence store.</param>
        /// <param name="throughKafka">Read from the mock Kafka rather than memory.</param>
        /// <param name="text">The text embedder the model holds (for tags), with the items' content vectors it gave.</param>
        public static async Task<Node> StartAsync(ModelOptions options, PersistenceStore store, bool throughKafka,
            (ITextEmbedder Embedder, IReadOnlyList<(string ItemId, float[] Vector)> Content)? text = null)
        {
            var kafka = throughKafka ? new Kafka() : null;
            var memory = throughKafka ? null : new MemoryFeed(Partitions);
            var (system, node) = await AkkaPipeline.StartAsync(kafka?.Feed ?? (IPartitionFeed)memory!, options, store, new RuntimeOptions(), text);
            return new Node(system, node, memory, kafka);
        }

        /// <summary>
        /// Feeds <paramref name="events"/> and measures until all are applied and until all are durable. Through Kafka
        /// they are produced first while the feed holds back its credit (the few it reads meanwhile are not counted),
        /// so the producer's work stays out of the clock, as it runs elsewhere in production.
        /// </summary>
        public async Task<Rates> RunAsync(IReadOnlyList<BehaviourEvent> events)
        {
            var target = _total + events.Count;
            _total = target;
            if (_kafka is not null)
            {
                _kafka.Feed.Hold();
                _kafka.Produce(events);
                var before = _node.Applied;
                var (threads, cpu, clock) = (ThreadCpu.Now(), ProcessCpu, Stopwatch.StartNew());
                _kafka.Feed.Release();
                return await MeasureAsync(clock, cpu, threads, target, target - before, () => _node.Progress.Sum(p => p.Checkpoint));
            }
            var (threadsAtStart, cpuAtStart, started) = (ThreadCpu.Now(), ProcessCpu, Stopwatch.StartNew());
            foreach (var ev in events) _memory!.Append(Murmur2Partitioner.Partition(ev.UserId, Partitions), ev);
            return await MeasureAsync(started, cpuAtStart, threadsAtStart, target, events.Count, () => Enumerable.Range(0, Partitions).Sum(_memory!.CommittedOffset));
        }

        private async Task<Rates> MeasureAsync(Stopwatch clock, TimeSpan cpu, ThreadCpu threads, long target, long counted, Func<long> durable)
        {
            var deadline = TimeSpan.FromMinutes(5);
            double? applied = null;
            var cpuApplied = TimeSpan.Zero;
            ThreadCpu? threadsApplied = null;
            while (durable() < target)
            {
                if (clock.Elapsed > deadline) throw new TimeoutException($"applied {_node.Applied} of {target} in {deadline}");
                if (applied is null && _node.Applied >= target)
                {
                    applied = clock.Elapsed.TotalSeconds;
                    cpuApplied = ProcessCpu - cpu;
                    threadsApplied = ThreadCpu.Now().Since(threads);
                }
                await Task.Delay(1);
            }
            if (_node.Applied != target) throw new InvalidOperationException($"applied {_node.Applied} of {target}");
            return new Rates(counted / (applied ?? clock.Elapsed.TotalSeconds), counted / clock.Elapsed.TotalSeconds, cpuApplied.TotalMicroseconds / counted, counted, threadsApplied);
        }

        /// <inheritdoc />
        public async ValueTask DisposeAsync()
        {
            await CoordinatedShutdown.Get(_system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
            _memory?.Dispose();
            _kafka?.Dispose();
        }
    }

    /// <summary>The mock cluster, a producer of the events topic, and the node's feed of it.</summary>
    private sealed class Kafka : IDisposable
    {
        private readonly MockKafkaCluster _cluster = MockKafkaCluster.Start(3);
        private readonly KafkaOptions _options;
        private readonly DeadLetterWriter _deadLetters;
        private readonly EventProducer _producer;

        public Kafka()
        {
            _options = new KafkaOptions { BootstrapServers = _cluster.BootstrapServers };
            _cluster.CreateTopics(_options, Partitions);
            _producer = EventProducer.Create(_options);
            _deadLetters = DeadLetterWriter.Create(_options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            Feed = new HeldFeed(new KafkaFeed(_options, "bench", Partitions, _deadLetters, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        }

        public HeldFeed Feed { get; }

        public void Produce(IReadOnlyList<BehaviourEvent> events)
        {
            foreach (var ev in events) _producer.Produce(ev);
            _producer.Flush(TimeSpan.FromMinutes(2));
        }

        public void Dispose()
        {
            Feed.Dispose();
            _producer.Dispose();
            _deadLetters.Dispose();
            _cluster.Dispose();
        }
    }

    /// <summary>A feed that can hold back the credit its readers give back, so it stops reading until released.</summary>
    private sealed class HeldFeed(KafkaFeed inner) : IPartitionFeed, IDisposable
    {
        private readonly int[] _held = new int[Partitions];
        private volatile bool _holding;

        public void Hold() => _holding = true;

        public void Release()
        {
            _holding = false;
            for (var p = 0; p < Partitions; p++) inner.Grant(p, Interlocked.Exchange(ref _held[p], 0));
        }

        public void Grant(int partition, int records)
        {
            // Added first, then passed on unless holding: a grant racing a release is either swept by it or passes itself on.
            Interlocked.Add(ref _held[partition], records);
            if (!_holding) inner.Grant(partition, Interlocked.Exchange(ref _held[partition], 0));
        }

        public long Open(int partition, long offset, IActorRef target, int credit) => inner.Open(partition, offset, target, credit);
        public long Seek(int partition, long offset, int credit) => inner.Seek(partition, offset, credit);
        public void Close(int partition, long generation) => inner.Close(partition, generation);
        public void Committed(int partition, long nextOffset) => inner.Committed(partition, nextOffset);
        public void DeadLetter(int partition, long offset, BehaviourEvent ev, string code, string reason) => inner.DeadLetter(partition, offset, ev, code, reason);
        public long? End(int partition) => inner.End(partition);
        public void Dispose() => inner.Dispose();
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
            await node.ModelActor.Ask<ModelSnapshot>(ModelCommand.FoldNow.Instance, TimeSpan.FromSeconds(30));
            var resident = Measure();
            for (var u = 0; u < users; u++) node.Region.Tell(new UserCommand.Evict($"user-{u}", Murmur2Partitioner.Partition($"user-{u}", Partitions)));
            while (node.Residents.Count > 0) await Task.Delay(10);
            await node.ModelActor.Ask<ModelSnapshot>(ModelCommand.FoldNow.Instance, TimeSpan.FromSeconds(30));
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

    private static async Task<(ActorSystem, NodeContext)> StartAsync(IPartitionFeed feed, ModelOptions options, PersistenceStore store, RuntimeOptions runtime,
        (ITextEmbedder Embedder, IReadOnlyList<(string ItemId, float[] Vector)> Content)? text = null)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0 }, store, runtime));
        var system = ActorSystem.Create("bench", config);
        await RecoRuntime.JoinAsync(system, null, TimeSpan.FromSeconds(30));
        var model = new GlobalModel(options, new ItemCatalog(), text?.Embedder);
        foreach (var (id, vector) in text?.Content ?? []) model.SetContent(model.Catalog.GetOrAdd(id), vector);
        var node = new NodeContext("bench", "events", Partitions, runtime, model, feed);
        RecoRuntime.Start(system, node);
        while (node.Progress.Count(p => p.Running) < Partitions) await Task.Delay(10);
        return (system, node);
    }
}
