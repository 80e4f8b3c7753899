using System.CommandLine;
using System.Diagnostics;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary>
/// <c>reco bench serve</c>: recommendation latency over HTTP on loopback, with many concurrent clients while events
/// stream in, against <c>/healthz</c> measured by the same clients in the same run (the cost of HTTP alone).
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
        var serve = new Command("serve", "Latency of recommendations over HTTP with concurrent clients while ingestion runs, with /healthz as the baseline.")
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

        await using var embedded = await EmbeddedNode.StartAsync("bench-node", 12, new Dictionary<string, string?> { ["Reco:ItemsPath"] = data.FullName }, cancel);
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
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stop.CancelAfter(warmUp + TimeSpan.FromSeconds(seconds));
        var appliedBefore = context.Applied;
        var ingestion = Task.Run(() => Ingest(producer, ratings, half, ingestRate, stop.Token), CancellationToken.None);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        var recommend = new List<double>[clients];
        var health = new List<double>[clients];
        var failures = 0;
        var clock = Stopwatch.StartNew();
        var period = TimeSpan.FromSeconds(clients / (double)rate);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            (recommend[c], health[c]) = ([], []);
            var random = new Random(c);
            // Open loop: each client keeps its own schedule, so a slow answer does not hide the queue behind it.
            var next = clock.Elapsed + period * random.NextDouble();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, CancellationToken.None);
                var path = i % 2 == 0 ? $"/v1/users/{users[random.Next(users.Length)]}/recommendations?n=10" : "/healthz";
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path, CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
                if (clock.Elapsed > warmUp) (i % 2 == 0 ? recommend[c] : health[c]).Add(ms);
                next += period;
            }
        }, CancellationToken.None)));
        var elapsed = (clock.Elapsed - warmUp).TotalSeconds;
        var ingested = await ingestion;
        var applied = context.Applied - appliedBefore;

        var rec = recommend.SelectMany(l => l).Order().ToArray();
        var ok = health.SelectMany(l => l).Order().ToArray();
        var table = new Table().Title("HTTP latency on loopback, ms").AddColumns("endpoint", "requests/s", "p50", "p90", "p99", "max", "p99 vs /healthz");
        table.AddRow("/healthz (baseline)", $"{ok.Length / elapsed:N0}", F(ok, 0.5), F(ok, 0.9), F(ok, 0.99), $"{ok[^1]:F2}", "1.00");
        table.AddRow("/v1/users/{id}/recommendations?n=10", $"{rec.Length / elapsed:N0}", F(rec, 0.5), F(rec, 0.9), F(rec, 0.99), $"{rec[^1]:F2}",
            $"{Quantile(rec, 0.99) / Quantile(ok, 0.99):F2}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"while measuring: {ingested:N0} events produced, {applied:N0} applied ({applied / elapsed:N0}/s); {failures} failed requests; target p99 ≤ 5 ms for recommendations: {(Quantile(rec, 0.99) <= 5 ? "met" : "missed")}");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Streams the second half of the sample at a steady rate until stopped; returns how many were produced.</summary>
    private static long Ingest(EventProducer producer, List<Rating> ratings, int from, int perSecond, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        long sent = 0;
        for (var i = from; i < ratings.Count && !stop.IsCancellationRequested; i++)
        {
            producer.Produce(ratings[i].ToEvent());
            sent++;
            var ahead = TimeSpan.FromSeconds(sent / (double)perSecond) - clock.Elapsed;
            if (ahead > TimeSpan.FromMilliseconds(5)) Thread.Sleep(ahead);
        }
        producer.Flush(TimeSpan.FromSeconds(30));
        return sent;
    }

    private static double Quantile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    private static string F(double[] sorted, double q) => $"{Quantile(sorted, q):F2}";
}
