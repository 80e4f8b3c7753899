using System.Diagnostics;
using RecoActors.Actors;
using RecoActors.Core;
using RecoActors.Storage;

namespace RecoActors.Benchmarks;

/// <summary>
/// Events per second through a shard (in-memory event source, no Kafka) with persistence off and with SQLite
/// checkpoints, against the Core-only single-thread loop measured in the same run; and bytes per resident user.
/// </summary>
internal static class PipelineBenchmark
{
    private const int Events = 300_000, Users = 20_000, Items = 10_000, CommitEvery = 1_000;

    /// <summary>
    /// Events between folds of the global model, on both sides of the ratio. A fold republishes the snapshot
    /// (milliseconds), so a node paces folds by time or volume; every 200 events suits only the prequential replay.
    /// </summary>
    private const int FoldEvery = 10_000;

    public static async Task RunAsync()
    {
        var events = Generate();
        var options = new ModelOptions();
        Console.WriteLine($"{Events:N0} events, {Users:N0} users, {Items:N0} items, d={options.Dimension}, K={options.Segments}, global model folded every {FoldEvery:N0} events; best of 3 runs each");

        var core = Best(() => CoreLoop(events, options));
        var memory = Best(() => ThroughShard(events, options, new InMemoryShardStore()).GetAwaiter().GetResult());
        var folder = Directory.CreateTempSubdirectory("reco-bench-").FullName;
        var run = 0;
        var sqlite = Best(() => ThroughShard(events, options,
            SqliteShardStore.OpenAsync(Path.Combine(folder, $"bench-{run++}.db")).GetAwaiter().GetResult()).GetAwaiter().GetResult());
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);

        Console.WriteLine();
        Console.WriteLine($"{"pipeline",-52} {"events/s",12} {"vs Core",8}");
        Console.WriteLine($"{"Core-only loop (Recommender.Apply), baseline",-52} {core,12:N0} {1.0,8:F2}");
        Console.WriteLine($"{"Shard, persistence off (in-memory store)",-52} {memory,12:N0} {memory / core,8:F2}");
        Console.WriteLine($"{$"Shard, SQLite checkpoint every {CommitEvery:N0} events",-52} {sqlite,12:N0} {sqlite / core,8:F2}");
        Console.WriteLine();
        Console.WriteLine($"bytes per resident user (d={options.Dimension}, 20 events each): {BytesPerUser(options):N0}");
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

    private static async Task<double> ThroughShard(List<BehaviourEvent> events, ModelOptions options, IShardStore store)
    {
        await using (store)
        {
            var catalog = new ItemCatalog();
            var model = new GlobalModel(options, catalog);
            var shard = await Shard.OpenAsync("events", 0, await store.ClaimAsync(0, "bench", ""), store, () => model.Current, catalog, CommitEvery);
            var clock = Stopwatch.StartNew();
            for (var offset = 0; offset < events.Count; offset++)
            {
                await shard.ApplyAsync(events[offset], offset);
                if (shard.CommitDue) await shard.CommitAsync();
                if ((offset + 1) % FoldEvery == 0) model.Apply(shard.TakePartial(model.Current.Epoch));
            }
            await shard.CommitAsync();
            return events.Count / clock.Elapsed.TotalSeconds;
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
