using System.Diagnostics;
using RecoActors.Core;
using RecoActors.Runtime;
using RecoActors.Text;

namespace RecoActors.Benchmarks;

/// <summary>
/// Events per second through the node's runtime (in-memory feed) with persistence off and on SQLite, and through the
/// mock Kafka, against the Core-only single-thread loop measured in the same run; and bytes per resident user.
/// </summary>
internal static class PipelineBenchmark
{
    private const int Events = 300_000, Users = 20_000, Items = 10_000;

    /// <summary>
    /// Events between folds in the Core-only loop. A fold republishes the snapshot (milliseconds), so a node paces
    /// folds by time (the segment actor: every 500 ms); every 200 events suits only the prequential replay.
    /// </summary>
    private const int FoldEvery = 10_000;

    public static async Task RunAsync()
    {
        var events = Generate();
        var options = new ModelOptions();
        Console.WriteLine($"{Events:N0} events, {Users:N0} users, {Items:N0} items, d={options.Dimension}, K={options.Segments}, Core loop folds every {FoldEvery:N0} events, the segment actor every 500 ms; one node per row, kept running, each run the next batch of the same users (the Core loop starts a new model each run); runs not counted until the JIT has settled (under 5% of a run's time), then best of 3, the rows taking turns; GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");

        var folder = Directory.CreateTempSubdirectory("reco-bench-").FullName;
        using var text = TextModel.Load(options, new TextSources(null, Path.Combine(Path.GetTempPath(), "reco-embeddings"), null));
        var content = Content(text.Embedder!);
        AkkaPipeline.Rates[] best;
        {
            // One node per row, kept running: every run of a row is the next batch of the same users' events.
            await using var memory = await AkkaPipeline.Node.StartAsync(options, PersistenceStore.Memory, throughKafka: false);
            await using var withText = await AkkaPipeline.Node.StartAsync(options, PersistenceStore.Memory, throughKafka: false, (text.Embedder!, content));
            await using var sqlite = await AkkaPipeline.Node.StartAsync(options, PersistenceStore.Sqlite(Path.Combine(folder, "sqlite.db")), throughKafka: false);
            await using var kafka = await AkkaPipeline.Node.StartAsync(options, PersistenceStore.Sqlite(Path.Combine(folder, "kafka.db")), throughKafka: true);
            var next = new int[4];
            // The text row runs right after the row it is compared with, not after the Kafka row (whose clients work on after it).
            Func<AkkaPipeline.Rates>[] rows =
            [
                () => CoreLoop(events, options),
                () => memory.RunAsync(Batch(events, next[0]++)).GetAwaiter().GetResult(),
                () => withText.RunAsync(Batch(events, next[1]++)).GetAwaiter().GetResult(),
                () => sqlite.RunAsync(Batch(events, next[2]++)).GetAwaiter().GetResult(),
                () => kafka.RunAsync(Batch(events, next[3]++)).GetAwaiter().GetResult(),
            ];
            best = Best(rows);
        }
        var (core, akkaMemory, akkaText, akkaSqlite, kafkaSqlite) = (best[0].Applied, best[1], best[2], best[3], best[4]);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);

        var defaults = new RuntimeOptions();
        Console.WriteLine();
        Console.WriteLine($"{"pipeline",-52} {"applied/s",12} {"vs Core",8} {"durable/s",12} {"vs Core",8} {"CPU µs/ev",10}   ({Environment.ProcessorCount} cores)");
        Console.WriteLine($"{"Core-only loop (Recommender.Apply), baseline",-52} {core,12:N0} {1.0,8:F2} {"",12} {"",8} {best[0].CpuMicros,10:F1}");
        Row("Akka runtime, in-memory journal", akkaMemory);
        Row($"  the in-memory row with {text.Embedder!.Name} content vectors (cached)", akkaText,
            $"   ({akkaText.Applied / akkaMemory.Applied:F2} × without text; {content.Count:N0} items, embedded before the clock)");
        Row($"Akka runtime, Akka.Persistence.Sql on SQLite ({defaults.CommitInterval.TotalSeconds:0} s)", akkaSqlite);
        Row("  the same, read from the mock Kafka (3 brokers)", kafkaSqlite,
            $"   ({kafkaSqlite.Applied / akkaSqlite.Applied:F2} / {kafkaSqlite.Durable / akkaSqlite.Durable:F2} × in-memory feed; medians {Medians[4].Applied / Medians[3].Applied:F2} / {Medians[4].Durable / Medians[3].Durable:F2})");
        Console.WriteLine($"(warm-up runs before the JIT settled, per row in this order: {string.Join(", ", WarmUps)}; applied/s in each round, per row: {string.Join("; ", Rounds)}; CPU µs per event until applied: {string.Join("; ", CpuRounds)})");
        Console.WriteLine("CPU µs per event until applied by kind of thread, the three counted runs of each row together (actors: .NET's pool, where Akka's default dispatcher runs; other: timers, remoting, the JIT…):");
        foreach (var (name, split) in new[] { "in-memory journal", "with text", "SQLite", "SQLite, mock Kafka" }.Zip(ByThread.Skip(1)))
            Console.WriteLine($"  {name,-20} {split}");
        Console.WriteLine($"(applied: until every event is applied; durable: until every partition's checkpoint covers its last event, which waits for the next commit, up to {defaults.CommitInterval.TotalSeconds:0} s more)");
        Console.WriteLine();
        var (resident, stored) = AkkaPipeline.BytesPerUserAsync(options).GetAwaiter().GetResult();
        Console.WriteLine($"bytes per resident user (d={options.Dimension}, 20 events each): an entity with all it holds {resident:N0}; its stored state in the partition {stored:N0}");

        void Row(string name, AkkaPipeline.Rates rates, string note = "") =>
            Console.WriteLine($"{name,-52} {rates.Applied,12:N0} {rates.Applied / core,8:F2} {rates.Durable,12:N0} {rates.Durable / core,8:F2} {rates.CpuMicros,10:F1}{note}");
    }

    /// <summary>
    /// Content vectors for the benchmark's items: item-i gets the text of the bundled sample's i-th film, so the
    /// vectors are a language model's of real text (embedded once per machine, then read from the cache).
    /// </summary>
    private static List<(string ItemId, float[] Vector)> Content(ITextEmbedder embedder)
    {
        var folder = SampleData.Folder("movies.csv");
        List<ItemText> films;
        using (var movies = new StreamReader(Path.Combine(folder, "movies.csv"))) films = RecoActors.Evaluation.ItemTextFile.Read(movies).Items;
        var texts = Enumerable.Range(0, Items).Select(i => films[i % films.Count] with { ItemId = $"item-{i}", Title = i < films.Count ? films[i].Title : $"{films[i % films.Count].Title} II" }).ToList();
        var vectors = embedder.EmbedCatalogue(texts);
        return [.. texts.Select((t, i) => (t.ItemId, vectors[i]))];
    }

    private static List<BehaviourEvent> Generate()
    {
        var rng = new Random(5);
        var t = 1_600_000_000_000;
        return [.. Enumerable.Range(0, Events).Select(_ => new BehaviourEvent($"user-{rng.Next(Users)}",
            $"item-{(int)(Items * Math.Pow(rng.NextDouble(), 2))}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 100_000)))];
    }

    /// <summary>
    /// The best of three runs of each row once the JIT has settled (see <see cref="WarmUp"/>), the rows taking turns:
    /// run one row after another, each row met another machine (its speed drifted by a third within minutes, the
    /// baseline's too), and a ratio compared two of them.
    /// </summary>
    private static AkkaPipeline.Rates[] Best(Func<AkkaPipeline.Rates>[] rows)
    {
        foreach (var row in rows) WarmUp(() => row());
        var runs = rows.Select(_ => new List<AkkaPipeline.Rates>()).ToArray();
        for (var round = 0; round < 3; round++)
            for (var i = 0; i < rows.Length; i++) runs[i].Add(rows[i]());
        Rounds.AddRange(runs.Select(r => string.Join(" / ", r.Select(x => $"{x.Applied:N0}"))));
        ByThread = [.. runs.Select(r => r.All(x => x.Threads is not null)
            ? $"{r.Select(x => x.Threads!).Aggregate((a, b) => a.Plus(b)).PerEvent(r.Sum(x => x.Counted))}"
            : "")];
        CpuRounds.AddRange(runs.Select(r => string.Join(" / ", r.Select(x => $"{x.CpuMicros:F1}"))));
        Medians = [.. runs.Select(r => new AkkaPipeline.Rates(Median(r, x => x.Applied), Median(r, x => x.Durable), Median(r, x => x.CpuMicros)))];
        return [.. runs.Select(r => new AkkaPipeline.Rates(r.Max(x => x.Applied), r.Max(x => x.Durable), r.Min(x => x.CpuMicros)))];

        static double Median(List<AkkaPipeline.Rates> runs, Func<AkkaPipeline.Rates, double> of) => runs.Select(of).Order().ElementAt(runs.Count / 2);
    }

    /// <summary>
    /// Runs not counted until one spends less than 5% of its time in the JIT (at most <see cref="MaxWarmUps"/>): tiered
    /// compilation keeps recompiling hot methods for several runs (measured: 1–1.5 s of JIT time in each of the three
    /// runs after the first, against 3.3 s of CPU for the run), and a node that has run for a minute has settled.
    /// </summary>
    private static void WarmUp(Action run)
    {
        for (var i = 1; i <= MaxWarmUps; i++)
        {
            var jit = System.Runtime.JitInfo.GetCompilationTime();
            var clock = Stopwatch.StartNew();
            run();
            var share = (System.Runtime.JitInfo.GetCompilationTime() - jit) / clock.Elapsed;
            if (share < 0.05 || i == MaxWarmUps)
            {
                WarmUps.Add(i);
                return;
            }
        }
    }

    /// <summary>Each row's median run, set by <see cref="Best"/>: a steady row and a noisy one compare differently by their best.</summary>
    private static AkkaPipeline.Rates[] Medians = [];

    /// <summary>Each row's CPU per event by kind of thread over its counted runs, set by <see cref="Best"/> (empty for the Core loop).</summary>
    private static List<string> ByThread = [];

    private const int MaxWarmUps = 8;
    private static readonly List<string> Rounds = [];
    private static readonly List<string> CpuRounds = [];
    private static readonly List<int> WarmUps = [];

    /// <summary>The <paramref name="index"/>-th batch: the same users' events again, later (each batch's times follow the last's).</summary>
    private static List<BehaviourEvent> Batch(List<BehaviourEvent> events, int index)
    {
        var shift = index * (events[^1].Timestamp - events[0].Timestamp + 1);
        return [.. events.Select(e => e with { Timestamp = e.Timestamp + shift })];
    }

    /// <summary>
    /// A new model every run: kept across runs, the loop's fold every 10,000 events meets ever fuller co-visit rows
    /// (83k events/s on the first batch, 29–34k by the twelfth, with rows bounded); the node folds twice a second.
    /// </summary>
    private static AkkaPipeline.Rates CoreLoop(List<BehaviourEvent> events, ModelOptions options)
    {
        var model = new Recommender(options, FoldEvery);
        var cpu = AkkaPipeline.ProcessCpu;
        var clock = Stopwatch.StartNew();
        foreach (var ev in events) model.Apply(ev);
        var rate = events.Count / clock.Elapsed.TotalSeconds;
        return new AkkaPipeline.Rates(rate, rate, (AkkaPipeline.ProcessCpu - cpu).TotalMicroseconds / events.Count);
    }
}
