using System.CommandLine;
using System.Diagnostics;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Protocol;
using RecoActors.Runtime;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary>
/// <c>reco bench serve</c>: recommendation latency over HTTP on loopback, with many concurrent clients while events
/// stream in, against <c>/healthz</c> measured by the same clients at the same time (the cost of HTTP alone); then the
/// same recommendations through the actor client (<see cref="RecommendationClient"/>), as another service asks, again
/// with <c>/healthz</c> alongside.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder with ratings.csv and movies.csv.", DefaultValueFactory = _ => new DirectoryInfo("data/movielens-small") };
        var clients = new Option<int>("--clients") { Description = "Concurrent HTTP clients.", DefaultValueFactory = _ => 64 };
        var seconds = new Option<int>("--seconds") { Description = "How long to measure.", DefaultValueFactory = _ => 15 };
        var rate = new Option<int>("--rate") { Description = "Requests per second over all clients, half recommendations and half /healthz.", DefaultValueFactory = _ => 400 };
        var ingest = new Option<int>("--ingest") { Description = "Events per second streamed in while measuring.", DefaultValueFactory = _ => 2_000 };
        var serve = new Command("serve", "Latency of recommendations over HTTP (with /healthz as the baseline) and through the actor client, with concurrent clients while events stream in.")
        {
            data, clients, seconds, rate, ingest,
        };
        serve.SetAction(async (parse, cancel) => await RunAsync(parse.GetValue(data)!, parse.GetValue(clients), parse.GetValue(seconds),
            parse.GetValue(rate), parse.GetValue(ingest), cancel));
        return new Command("bench", "Benchmarks of a running node.") { serve };
    }

    private static async Task<int> RunAsync(DirectoryInfo data, int clients, int seconds, int rate, int ingestRate, CancellationToken cancel)
    {
        var ratingsFile = Path.Combine(data.FullName, "ratings.csv");
        if (!File.Exists(ratingsFile))
        {
            Console.Error.WriteLine($"reco bench: --data: {ratingsFile} does not exist (run from the repository root, or pass --data)");
            return 2;
        }
        List<Rating> ratings;
        using (var reader = new StreamReader(ratingsFile)) ratings = [.. RatingsFile.Read(reader).Ratings.OrderBy(r => r.Timestamp)];
        var half = ratings.Count / 2;
        var users = ratings.Select(r => r.UserId).Distinct().ToArray();

        await using var embedded = await EmbeddedNode.StartAsync("bench-node", 12, new Dictionary<string, string?> { ["Reco:ItemsPath"] = data.FullName, ["Reco:Text:CachePath"] = TextOptions.DefaultCache }, cancel);
        var (server, kafka) = (embedded.Server, embedded.Kafka);
        using var producer = EventProducer.Create(kafka);
        foreach (var r in ratings.Take(half)) producer.Produce(r.ToEvent());
        producer.Flush(TimeSpan.FromSeconds(60));
        var context = server.Node.Context;
        var warm = Stopwatch.StartNew();
        while (context.Applied < half && warm.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100, cancel);
        AnsiConsole.MarkupLineInterpolated($"node at {server.Address} holds {half:N0} events of {users.Length} users; measuring {seconds} s: {clients} clients, {rate:N0} requests/s, {ingestRate:N0} events/s streaming in");

        // Warm-up (JIT, connection pool) is timed but not counted.
        var warmUp = TimeSpan.FromSeconds(3);
        var duration = warmUp + TimeSpan.FromSeconds(seconds);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        var next = half;
        async Task<bool> GetAsync(string path)
        {
            using var response = await http.GetAsync(path, CancellationToken.None);
            await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            return response.IsSuccessStatusCode;
        }
        var (overHttp, httpIngest) = await MeasureAsync(clients, rate, duration, warmUp, async (turn, random) =>
            (turn % 2, await GetAsync(turn % 2 == 0 ? $"/v1/users/{users[random.Next(users.Length)]}/recommendations?n=10" : "/healthz")),
            stop => Ingest(producer, ratings, ref next, ingestRate, stop), context, cancel);
        // The node's own timing of the same requests after the warm-up (its latest as many as were counted), from the ask
        // to the region until the answer: the rest is HTTP.
        var asked = server.Reads.Metrics.LatencyPercentiles(overHttp.Latencies[0].Length);

        // The actor client joins the node's cluster and asks through a region proxy, in place of the HTTP recommendations:
        // the same 200 + 200 requests/s, with /healthz measured alongside as its own baseline.
        var seed = Akka.Cluster.Cluster.Get(server.Node.System).SelfAddress;
        await using var client = await RecommendationClient.ConnectAsync(new RecommendationClientOptions
        {
            Cluster = new ClusterOptions { Hostname = "127.0.0.1", Port = 0, SeedNodes = [$"{seed.Host}:{seed.Port}"] },
            Timeout = TimeSpan.FromSeconds(10),
        }, cancel);
        var (overActors, actorIngest) = await MeasureAsync(clients, rate, duration, warmUp, async (turn, random) =>
        {
            if (turn % 2 != 0) return (1, await GetAsync("/healthz"));
            await client.RecommendAsync(users[random.Next(users.Length)], 10, CancellationToken.None);
            return (0, true);
        }, stop => Ingest(producer, ratings, ref next, ingestRate, stop), context, cancel);

        var (rec, ok) = (overHttp.Latencies[0], overHttp.Latencies[1]);
        var (viaClient, okWithClient) = (overActors.Latencies[0], overActors.Latencies[1]);
        var table = new Table().Title("Recommendation latency on loopback, ms").AddColumns("path", "requests/s", "p50", "p90", "p99", "max", "p99 vs /healthz");
        void Row(string path, double[] sorted, Measured measured, double[] baseline) =>
            table.AddRow(path, $"{sorted.Length / measured.Seconds:N0}", F(sorted, 0.5), F(sorted, 0.9), F(sorted, 0.99), F(sorted, 1),
                $"{Quantile(sorted, 0.99) / Quantile(baseline, 0.99):F2}");
        Row("HTTP /healthz (baseline)", ok, overHttp, ok);
        Row("HTTP /v1/users/{id}/recommendations?n=10", rec, overHttp, ok);
        table.AddEmptyRow();
        Row("HTTP /healthz (baseline)", okWithClient, overActors, okWithClient);
        Row("actor client RecommendAsync(id, 10)", viaClient, overActors, okWithClient);
        AnsiConsole.Write(table);
        var failures = overHttp.Failures + overActors.Failures;
        AnsiConsole.MarkupLineInterpolated($"GC while measuring over HTTP: {overHttp.Gc}; through the client: {overActors.Gc}");
        if (asked is { } a)
            AnsiConsole.MarkupLineInterpolated($"the node's own timing of its latest {a.Of:N0} HTTP recommendations, from its ask to the user's entity until the answer: p50 {a.P50:F2}, p99 {a.P99:F2} ms; the rest is HTTP");
        AnsiConsole.MarkupLineInterpolated($"while measuring: {httpIngest.Applied / overHttp.Seconds:N0} and {actorIngest.Applied / overActors.Seconds:N0} events/s applied; {failures} failed requests");
        AnsiConsole.MarkupLineInterpolated($"targets (p99 ≤ 5 ms, and ≤ 2× /healthz's): over HTTP {Verdict(rec, ok)}; through the actor client {Verdict(viaClient, okWithClient)}");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>What one measurement saw: latencies (ms, sorted) by request kind, failures, the seconds counted, and the process's GC meanwhile.</summary>
    private sealed record Measured(double[][] Latencies, int Failures, double Seconds, Collections Gc);

    /// <summary>Garbage collections in the process (node and clients alike) and the time they paused it.</summary>
    private sealed record Collections(int Gen0, int Gen1, int Gen2, TimeSpan Paused)
    {
        public static Collections Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

        public Collections Since(Collections before) => new(Gen0 - before.Gen0, Gen1 - before.Gen1, Gen2 - before.Gen2, Paused - before.Paused);

        public override string ToString() => $"{Gen0} gen0, {Gen1} gen1, {Gen2} gen2 collections pausing {Paused.TotalMilliseconds:N0} ms in all";
    }

    /// <summary>Events applied while measuring.</summary>
    private sealed record Ingested(long Applied);

    /// <summary>
    /// Open loop: each of <paramref name="clients"/> keeps its own schedule at its share of <paramref name="rate"/>, so a
    /// slow answer does not hide the queue behind it; <paramref name="request"/> is given the request's turn and returns its
    /// kind (0 or 1) and whether it succeeded. Events stream in meanwhile.
    /// </summary>
    /// <remarks>
    /// A turn is the request's number in its client's sequence plus the client's number, so kinds chosen by its parity are
    /// sent by half the clients each at every moment. By the sequence alone, every client sent the same kind in the same
    /// period (each client sends once per period), and the kinds came in alternate periods (160 ms by default): recommendations at
    /// twice their rate half of the time, `/healthz` on an idle node the other half.
    /// </remarks>
    private static async Task<(Measured, Ingested)> MeasureAsync(int clients, int rate, TimeSpan duration, TimeSpan warmUp,
        Func<int, Random, Task<(int Kind, bool Ok)>> request, Func<CancellationToken, long> ingest, NodeContext context, CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stop.CancelAfter(duration);
        var appliedBefore = context.Applied;
        var ingestion = Task.Run(() => ingest(stop.Token), CancellationToken.None);
        var latencies = new List<double>[clients, 2];
        var failures = 0;
        var clock = Stopwatch.StartNew();
        Collections? gcBefore = null;
        var period = TimeSpan.FromSeconds(clients / (double)rate);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            (latencies[c, 0], latencies[c, 1]) = ([], []);
            var random = new Random(c);
            var next = clock.Elapsed + period * random.NextDouble();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, CancellationToken.None);
                var started = Stopwatch.GetTimestamp();
                var (kind, ok) = (0, false);
                try
                {
                    (kind, ok) = await request(c + i, random);
                }
                catch (Exception ex) when (ex is TimeoutException or HttpRequestException)
                {
                }
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!ok) Interlocked.Increment(ref failures);
                next += period;
                if (clock.Elapsed <= warmUp) continue;
                if (gcBefore is null) Interlocked.CompareExchange(ref gcBefore, Collections.Now(), null);
                latencies[c, kind].Add(ms);
            }
        }, CancellationToken.None)));
        var seconds = (clock.Elapsed - warmUp).TotalSeconds;
        var gc = Collections.Now().Since(gcBefore ?? Collections.Now());
        await ingestion;
        var sorted = new[] { 0, 1 }.Select(k => Enumerable.Range(0, clients).SelectMany(c => latencies[c, k]).Order().ToArray()).ToArray();
        return (new Measured(sorted, failures, seconds, gc), new Ingested(context.Applied - appliedBefore));
    }

    /// <summary>
    /// Streams the sample on from <paramref name="next"/> at a steady rate until stopped; returns how many were
    /// produced. Past the end it streams the second half again, later by its span each time, so both measurements
    /// run with events streaming in at the same rate (the sample alone lasts about 20 s at 2,000 events/s).
    /// </summary>
    private static long Ingest(EventProducer producer, List<Rating> ratings, ref int next, int perSecond, CancellationToken stop)
    {
        if (perSecond <= 0) return 0;
        var half = ratings.Count / 2;
        var (length, span) = (ratings.Count - half, ratings[^1].Timestamp - ratings[half].Timestamp + 1);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        for (; !stop.IsCancellationRequested; next++)
        {
            var (lap, at) = Math.DivRem(next - half, length);
            var rating = ratings[half + at];
            producer.Produce((rating with { Timestamp = rating.Timestamp + lap * span }).ToEvent());
            sent++;
            var ahead = TimeSpan.FromSeconds(sent / (double)perSecond) - clock.Elapsed;
            if (ahead > TimeSpan.FromMilliseconds(5)) Thread.Sleep(ahead);
        }
        producer.Flush(TimeSpan.FromSeconds(30));
        return sent;
    }

    /// <summary>Whether <paramref name="sorted"/>'s p99 meets 5 ms, and twice <paramref name="baseline"/>'s.</summary>
    private static string Verdict(double[] sorted, double[] baseline)
    {
        var p99 = Quantile(sorted, 0.99);
        return $"{(p99 <= 5 ? "met" : "missed")} and {(p99 <= 2 * Quantile(baseline, 0.99) ? "met" : "missed")}";
    }

    private static double Quantile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    private static string F(double[] sorted, double q) => $"{(q >= 1 ? sorted.LastOrDefault(double.NaN) : Quantile(sorted, q)):F2}";
}
