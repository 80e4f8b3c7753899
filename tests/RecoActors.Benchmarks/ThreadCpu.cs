namespace RecoActors.Benchmarks;

/// <summary>
/// The process's CPU time by kind of thread (Linux: <c>/proc/self/task/*/stat</c>), so a row's CPU per event can be
/// split into the actors, the folds, the feed, librdkafka and the GC: two rows that differ in speed show where.
/// </summary>
internal sealed record ThreadCpu(IReadOnlyDictionary<string, double> Seconds)
{
    // Each thread's kind and CPU seconds, by thread id: a thread that ends within a measurement must not take its
    // whole past off the others' (the pool retires idle threads).
    private IReadOnlyDictionary<int, (string Kind, double Seconds)> Threads { get; init; } = new Dictionary<int, (string, double)>();

    // The unit of utime and stime in /proc: USER_HZ, 100 on every Linux the benchmark runs on.
    private const double TicksPerSecond = 100;

    /// <summary>The kinds, in the order printed.</summary>
    public static readonly string[] Kinds = ["actors", "folds", "feed", "librdkafka", "GC", "other"];

    /// <summary>CPU seconds so far of the threads alive now, by kind (empty where /proc is not there).</summary>
    public static ThreadCpu Now()
    {
        if (!OperatingSystem.IsLinux()) return new(new Dictionary<string, double>());
        var threads = new Dictionary<int, (string, double)>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            // "pid (name) state ppid …": the name may hold spaces, so fields count from its closing parenthesis.
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            threads[int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture)] = (Kind(stat[(stat.IndexOf('(') + 1)..close]), ticks / TicksPerSecond);
        }
        return new(ByKind(threads.Values)) { Threads = threads };
    }

    /// <summary>The CPU time spent since <paramref name="before"/> by the threads alive now (those that ended meanwhile are not counted).</summary>
    public ThreadCpu Since(ThreadCpu before) =>
        new(ByKind(Threads.Select(t => (t.Value.Kind, t.Value.Seconds - (before.Threads.TryGetValue(t.Key, out var b) ? b.Seconds : 0)))));

    private static Dictionary<string, double> ByKind(IEnumerable<(string Kind, double Seconds)> threads) =>
        threads.GroupBy(t => t.Kind).ToDictionary(g => g.Key, g => g.Sum(t => t.Seconds));

    /// <summary>Two measurements added up.</summary>
    public ThreadCpu Plus(ThreadCpu other) =>
        new(Seconds.Keys.Union(other.Seconds.Keys).ToDictionary(k => k, k => Seconds.GetValueOrDefault(k) + other.Seconds.GetValueOrDefault(k)));

    /// <summary>Microseconds per event of each kind, over <paramref name="events"/> events.</summary>
    public string PerEvent(long events) =>
        string.Join(", ", Kinds.Select(k => $"{k} {Seconds.GetValueOrDefault(k) * 1e6 / events:F2}"));

    private static string Kind(string thread) => thread switch
    {
        _ when thread.StartsWith(".NET TP Worker", StringComparison.Ordinal) => "actors",
        _ when thread.StartsWith("akka.reco-fold", StringComparison.Ordinal) => "folds",
        _ when thread.StartsWith("feed:", StringComparison.Ordinal) || thread == "memory-feed" => "feed",
        _ when thread.StartsWith("rdk:", StringComparison.Ordinal) => "librdkafka",
        ".NET Server GC" or ".NET BGC" => "GC",
        _ => "other",
    };
}
