using System.Diagnostics;
using RecoActors.Core;
using RecoActors.Evaluation;

namespace RecoActors.Benchmarks;

/// <summary>
/// What a fold costs as <c>reco bench serve</c> makes them: the bundled sample's first half folded in, then its second
/// half in batches of 1,100 events (2,200 events/s folded twice a second). Baseline: the profile updates of the same
/// events, in the same run. A fold runs on a core the requests share, so its length is the serving tail's.
/// </summary>
internal static class FoldBenchmark
{
    private const int Batch = 1_100;

    public static void Run()
    {
        var folder = SampleData.Folder("ratings.csv");
        List<BehaviourEvent> events;
        using (var reader = new StreamReader(Path.Combine(folder, "ratings.csv")))
            events = [.. RatingsFile.Read(reader).Ratings.OrderBy(r => r.Timestamp).Select(r => r.ToEvent())];
        var half = events.Count / 2;
        // Three passes, the best reported: the first also warms the JIT.
        var passes = Enumerable.Range(0, 3).Select(_ => Pass(events, half)).ToList();
        var best = passes.MinBy(p => p.FoldMs.Average())!;
        var folds = best.FoldMs.Order().ToArray();
        var perEvent = best.UpdateMs / (events.Count - half) * 1_000;
        Console.WriteLine($"{folds.Length} folds of {Batch:N0} events after {half:N0} (best of {passes.Count} passes):");
        Console.WriteLine($"  fold          mean {folds.Average(),7:F2} ms   p50 {folds[folds.Length / 2],7:F2}   p90 {folds[folds.Length * 9 / 10],7:F2}   max {folds[^1],7:F2}");
        Console.WriteLine($"  collections   {best.Gen0} gen0, {best.Gen1} gen1, {best.Gen2} gen2 while folding the second half, pausing {best.PausedMs:F0} ms in all ({best.PausedMs / folds.Length:F2} ms per fold)");
        Console.WriteLine($"  baseline      profile updates {perEvent:F2} µs/event, {perEvent * Batch / 1_000:F2} ms per batch");
        Console.WriteLine($"  ratio         a fold costs {folds.Average() / (perEvent * Batch / 1_000):F2}x its batch's profile updates");
    }

    private sealed record Timings(List<double> FoldMs, double UpdateMs, int Gen0, int Gen1, int Gen2, double PausedMs);

    private static Timings Pass(List<BehaviourEvent> events, int half)
    {
        var model = new Recommender(new ModelOptions(), batchEvents: int.MaxValue);
        var folds = new List<double>();
        var update = 0.0;
        var pending = 0;
        var (gen0, gen1, gen2, paused) = (0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < events.Count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            model.Apply(events[i]);
            if (i == half) (gen0, gen1, gen2, paused) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            if (i >= half) update += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (++pending < Batch && i + 1 < events.Count) continue;
            pending = 0;
            started = Stopwatch.GetTimestamp();
            model.Flush();
            if (i >= half) folds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return new Timings(folds, update, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
            (GC.GetTotalPauseDuration() - paused).TotalMilliseconds);
    }
}
