using System.Diagnostics;
using Confluent.Kafka;
using RecoActors.Kafka;
using RecoActors.Actors;
using RecoActors.Core;
using RecoActors.Storage;
using PersistenceStore = RecoActors.Runtime.PersistenceStore;

namespace RecoActors.Benchmarks;

/// <summary>
/// Events per second through the node's actors (in-memory event source, no Kafka) with persistence off and with
/// SQLite checkpoints, against the Core-only single-thread loop measured in the same run; and bytes per resident user.
/// </summary>
internal static class PipelineBenchmark
{
    private const int Events = 300_000, Users = 20_000, Items = 10_000, Partitions = 12;

    /// <summary>
    /// Events between folds in the Core-only loop. A fold republishes the snapshot (milliseconds), so a node paces
    /// folds by time (the segment actor: every 500 ms); every 200 events suits only the prequential replay.
    /// </summary>
    private const int FoldEvery = 10_000;

    public static async Task RunAsync()
    {
        var events = Generate();
        var options = new ModelOptions();
        Console.WriteLine($"{Events:N0} events, {Users:N0} users, {Items:N0} items, d={options.Dimension}, K={options.Segments}, Core loop folds every {FoldEvery:N0} events, the segment actor every 500 ms; best of 3 runs each");

        var core = Best(() => CoreLoop(events, options));
        var memory = Best(() => ThroughActors(events, options, new InMemoryShardStore()).GetAwaiter().GetResult());
        var folder = Directory.CreateTempSubdirectory("reco-bench-").FullName;
        var run = 0;
        var sqlite = Best(() => ThroughActors(events, options,
            SqliteShardStore.OpenAsync(Path.Combine(folder, $"bench-{run++}.db")).GetAwaiter().GetResult()).GetAwaiter().GetResult());
        var akkaMemory = Best(() => AkkaPipeline.RunAsync(events, options, new PersistenceStore("memory", "")).GetAwaiter().GetResult());
        var akkaSqlite = Best(() => AkkaPipeline.RunAsync(events, options,
            new PersistenceStore("sqlite", $"Data Source={Path.Combine(folder, $"akka-{run++}.db")}")).GetAwaiter().GetResult());
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);

        Console.WriteLine();
        Console.WriteLine($"{"pipeline",-52} {"events/s",12} {"vs Core",8}   ({Environment.ProcessorCount} cores)");
        Console.WriteLine($"{"Core-only loop (Recommender.Apply), baseline",-52} {core,12:N0} {1.0,8:F2}");
        var defaults = new RegionOptions { NodeId = "" };
        Console.WriteLine($"{"Actors, persistence off (in-memory store)",-52} {memory,12:N0} {memory / core,8:F2}");
        Console.WriteLine($"{$"Actors, SQLite commits ({defaults.CommitEvery:N0} records or {defaults.CommitInterval.TotalSeconds:0} s)",-52} {sqlite,12:N0} {sqlite / core,8:F2}");
        Console.WriteLine($"{"Akka, in-memory journal",-52} {akkaMemory,12:N0} {akkaMemory / core,8:F2}");
        Console.WriteLine($"{"Akka, Akka.Persistence.Sql on SQLite",-52} {akkaSqlite,12:N0} {akkaSqlite / core,8:F2}");
        Console.WriteLine();
        var (resident, stored) = AkkaPipeline.BytesPerUserAsync(options).GetAwaiter().GetResult();
        Console.WriteLine($"bytes per resident user (d={options.Dimension}, 20 events each): in-house shard {BytesPerUser(options):N0}; Akka entity, all it holds {resident:N0}; its stored state in the partition {stored:N0}");
    }

    private static List<BehaviourEvent> Generate()
    {
        var rng = new Random(5);
        var t = 1_600_000_000_000;
        return [.. Enumerable.Range(0, Events).Select(_ => new BehaviourEvent($"user-{rng.Next(Users)}",
            $"item-{(int)(Items * Math.Pow(rng.NextDouble(), 2))}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 100_000)))];
    }

    private static double Best(Func<double> run) => Enumerable.Range(0, 3).Max(_ => run());

    private static double CoreLoop(List<BehaviourEvent> events, ModelOptions options)
    {
        var model = new Recommender(options, FoldEvery);
        var clock = Stopwatch.StartNew();
        foreach (var ev in events) model.Apply(ev);
        return events.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The node's real path minus Kafka: an in-memory source on this thread plays the consumer (12 partitions, the
    /// producer's murmur2 partitioner, pausing when a shard's mailbox is full); shard actors apply and commit on the
    /// thread pool; the segment actor folds every 500 ms. Timed until every event is applied and committed.
    /// </summary>
    private static async Task<double> ThroughActors(List<BehaviourEvent> events, ModelOptions options, IShardStore store)
    {
        await using (store)
        {
            await using var node = NodeActors.Start(new RegionOptions { NodeId = "bench", Topic = "events" }, options, store);
            var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition("events", p)).ToList();
            node.Region.OnAssigned(partitions).ToList();
            var offsets = new long[Partitions];
            var clock = Stopwatch.StartNew();
            foreach (var ev in events)
            {
                var p = Murmur2Partitioner.Partition(ev.UserId, Partitions);
                var at = new TopicPartitionOffset(partitions[p], new Offset(offsets[p]++));
                var wait = new SpinWait();
                while (!node.Region.OnEvent(ev, at)) wait.SpinOnce();
            }
            await node.Region.FlushAsync();
            var rate = events.Count / clock.Elapsed.TotalSeconds;
            if (node.Region.Applied != events.Count) throw new InvalidOperationException($"applied {node.Region.Applied} of {events.Count}");
            node.Region.OnRevoked(partitions);
            return rate;
        }
    }

    private static long BytesPerUser(ModelOptions options)
    {
        const int users = 10_000;
        var model = new GlobalModel(options, new ItemCatalog());
        var partial = model.NewPartial();
        var scratch = new float[2 * options.Dimension];
        var rng = new Random(3);
        var ids = Enumerable.Range(0, Items).Select(i => $"item-{i}").ToArray();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(true);
        var profiles = new Profile[users];
        for (var u = 0; u < users; u++)
        {
            profiles[u] = Profile.For(options);
            for (var e = 0; e < 20; e++)
            {
                var item = rng.Next(Items);
                ProfileUpdater.Apply(profiles[u], ids[item], item, EventType.Rating, 4.5f, 1_600_000_000_000 + e, model.Current, partial, scratch);
            }
            partial = model.NewPartial();
        }
        var after = GC.GetTotalMemory(true);
        GC.KeepAlive(profiles);
        return (after - before) / users;
    }
}
