using System.CommandLine;
using System.Diagnostics;
using System.Text;
using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Node.Http;
using RecoActors.Text;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary>
/// <c>reco demo</c>: the whole system on embedded defaults. A mock Kafka cluster, a node (a one-member Akka cluster,
/// Akka.Persistence on SQLite in a temporary folder, the HTTP API on a free port), the bundled MovieLens sample streamed in with a few malformed
/// records, live events/s, then recommendations with explanations for a few users and a segment summary.
/// </summary>
internal static class DemoCommand
{
    private const int Partitions = 12;

    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder with ratings.csv, movies.csv and tags.csv.", DefaultValueFactory = _ => new DirectoryInfo("data/movielens-small") };
        var events = new Option<int>("--events") { Description = "How many ratings to stream (earliest first); all by default.", DefaultValueFactory = _ => int.MaxValue };
        var stay = new Option<bool>("--stay") { Description = "Keep the node running afterwards, for its dashboard, until Ctrl+C." };
        var command = new Command("demo", "Run the embedded demo: mock Kafka, one node on SQLite, the bundled sample, then live recommendations.") { data, events, stay };
        command.SetAction(async (parse, cancel) => await RunAsync(parse.GetValue(data)!, parse.GetValue(events), parse.GetValue(stay), cancel));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo data, int limit, bool stay, CancellationToken cancel)
    {
        var ratingsFile = Path.Combine(data.FullName, "ratings.csv");
        if (!File.Exists(ratingsFile))
        {
            Console.Error.WriteLine($"reco demo: --data: {ratingsFile} does not exist (run from the repository root, or pass --data)");
            return 2;
        }
        RatingsLog log;
        using (var reader = new StreamReader(ratingsFile)) log = RatingsFile.Read(reader);
        var ratings = log.Ratings.OrderBy(r => r.Timestamp).Take(limit).ToList();
        var tagsFile = Path.Combine(data.FullName, "tags.csv");
        // The tags users wrote stream in with their ratings, up to the last rating's time: they move profiles by what they say.
        List<BehaviourEvent> tags = [];
        if (File.Exists(tagsFile) && ratings.Count > 0)
            using (var reader = new StreamReader(tagsFile)) tags = [.. TagsFile.Read(reader).Events.Where(t => t.Timestamp <= ratings[^1].Timestamp)];
        var stream = ratings.Select(r => r.ToEvent()).Concat(tags).OrderBy(e => e.Timestamp).ToList();
        var items = ItemTextFile.Read(Path.Combine(data.FullName, "movies.csv"), File.Exists(tagsFile) ? tagsFile : null).Items;
        var titles = items.ToDictionary(i => i.ItemId, i => i.Title);
        // The language model embeds the catalogue once per machine (about a minute on two cores); shown here rather
        // than as a silent pause in the node's start, and cached where every later demo finds it.
        using (var text = TextModel.Load(new ModelOptions(), new TextSources(null, TextOptions.DefaultCache, null)))
        {
            var (count, elapsed) = TextOptions.Warm(text, items);
            if (count > 0) AnsiConsole.MarkupLineInterpolated($"embedded {count:N0} items' text with {text.Embedder!.Name} in {elapsed.TotalSeconds:F0} s ({count / elapsed.TotalSeconds:N0} items/s), cached in {text.Cache!.Path}");
        }

        AnsiConsole.MarkupLine("[bold]RecoActors demo[/]: mock Kafka, one Akka cluster node (user, partition and segment actors; Akka.Persistence on SQLite; HTTP API).");
        await using var embedded = await EmbeddedNode.StartAsync("demo-node", Partitions, new Dictionary<string, string?>
        {
            ["Reco:ItemsPath"] = data.FullName,
            ["Reco:Text:CachePath"] = TextOptions.DefaultCache,
            ["Reco:Exchange"] = "false",
        }, cancel);
        var (server, kafka) = (embedded.Server, embedded.Kafka);
        AnsiConsole.MarkupLineInterpolated($"mock Kafka at [grey]{embedded.Cluster.BootstrapServers}[/], topic [bold]{kafka.EventsTopic}[/] with {Partitions} partitions; store [grey]{embedded.Folder}[/]");
        AnsiConsole.MarkupLineInterpolated($"node [bold]{server.Node.Id}[/] serving HTTP at [link]{server.Address}[/]; its dashboard: [link]{server.Address}[/]{(stay ? "" : " (add --stay to keep it up after the demo)")}");

        var clock = Stopwatch.StartNew();
        using (var producer = EventProducer.Create(kafka))
        {
            foreach (var e in stream) producer.Produce(e);
            // A few records that are not events: they go to the dead-letter topic and stop nothing.
            producer.ProduceRaw("demo", "not json"u8.ToArray());
            producer.ProduceRaw("demo", Encoding.UTF8.GetBytes("""{"userId":"demo","itemId":"1","type":"teleport","ts":946684800000}"""));
            producer.ProduceRaw("demo", null);
            producer.Flush(TimeSpan.FromSeconds(60));
        }
        AnsiConsole.MarkupLineInterpolated($"produced {ratings.Count:N0} ratings, {tags.Count:N0} tags and 3 malformed records in {clock.Elapsed.TotalSeconds:F1} s");

        var context = server.Node.Context;
        var deadline = Stopwatch.StartNew();
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("consuming", maxValue: stream.Count);
                var (lastApplied, lastAt) = (0L, Stopwatch.GetTimestamp());
                while ((context.Applied < stream.Count || server.Node.DeadLetters < 3) && deadline.Elapsed < TimeSpan.FromSeconds(90) && !cancel.IsCancellationRequested)
                {
                    await Task.Delay(250, CancellationToken.None);
                    var applied = context.Applied;
                    var rate = (applied - lastApplied) / Stopwatch.GetElapsedTime(lastAt).TotalSeconds;
                    (lastApplied, lastAt) = (applied, Stopwatch.GetTimestamp());
                    task.Value = applied;
                    task.Description = $"consuming [bold]{rate,9:N0}[/] events/s";
                }
                task.Value = context.Applied;
                task.Description = "consumed";
            });
        // Wait for the model actor to fold what the users contributed.
        while (server.Node.EventsFolded < context.Applied && deadline.Elapsed < TimeSpan.FromSeconds(100)) await Task.Delay(100, CancellationToken.None);
        AnsiConsole.MarkupLineInterpolated(
            $"applied {context.Applied:N0} events in {clock.Elapsed.TotalSeconds:F1} s; {server.Node.DeadLetters} records went to {kafka.DeadLetterTopic}; model version {server.Node.Model.Current.Version}");
        if (context.Applied < stream.Count) return 1;

        var active = ratings.GroupBy(r => r.UserId).OrderByDescending(g => g.Count()).Select(g => g.Key).Take(3).Append("someone-new");
        foreach (var user in active)
        {
            var answer = await server.Reads.RecommendAsync(user, 5, cancel);
            AnsiConsole.Write(RecommendCommand.Render(answer, id => titles.GetValueOrDefault(id, id)));
        }

        AnsiConsole.Write(SegmentsCommand.Render(SegmentsResponse.Of(server.Node, 3), id => titles.GetValueOrDefault(id, id)));
        if (!stay) return 0;
        AnsiConsole.MarkupLineInterpolated($"the node keeps running: dashboard at [link]{server.Address}[/]; Ctrl+C stops it");
        // As `reco serve` does: the node's host takes Ctrl+C and SIGTERM (the command line leaves them to it), and its stop ends the demo.
        await server.ShutdownRequested;
        return 0;
    }
}
