using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary>
/// <c>reco demo</c>: the pipeline on embedded defaults. A mock Kafka cluster, the bundled MovieLens sample produced
/// to a 12-partition topic (with a few malformed records), one node consuming it into the model, then live
/// recommendations with explanations and a segment summary.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder with ratings.csv, movies.csv and tags.csv.", DefaultValueFactory = _ => new DirectoryInfo("data/movielens-small") };
        var events = new Option<int>("--events") { Description = "How many ratings to stream (earliest first).", DefaultValueFactory = _ => 30_000 };
        var command = new Command("demo", "Run the embedded demo: mock Kafka and the bundled sample, then print live recommendations.") { data, events };
        command.SetAction(async (parse, cancel) => await RunAsync(parse.GetValue(data)!, parse.GetValue(events), cancel));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo data, int limit, CancellationToken cancel)
    {
        var ratingsFile = Path.Combine(data.FullName, "ratings.csv");
        if (!File.Exists(ratingsFile))
        {
            Console.Error.WriteLine($"reco demo: --data: {ratingsFile} does not exist (run from the repository root, or pass --data)");
            return 2;
        }
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var logger = loggers.CreateLogger("demo");

        RatingsLog log;
        using (var reader = new StreamReader(ratingsFile)) log = RatingsFile.Read(reader);
        var ratings = log.Ratings.OrderBy(r => r.Timestamp).Take(limit).ToList();
        List<ItemText> items;
        using (var movies = new StreamReader(Path.Combine(data.FullName, "movies.csv")))
        using (var tags = new StreamReader(Path.Combine(data.FullName, "tags.csv")))
            items = ItemTextFile.Read(movies, tags).Items;
        var titles = items.ToDictionary(i => i.ItemId, i => i.Title);

        AnsiConsole.MarkupLine("[bold]RecoActors demo[/]: mock Kafka, one node, the model in memory (SQLite checkpoints arrive with the actors issue).");
        using var cluster = MockKafkaCluster.Start(3);
        var options = new KafkaOptions { BootstrapServers = cluster.BootstrapServers, SessionTimeoutMs = 6_000, HeartbeatIntervalMs = 500, MaxPollIntervalMs = 10_000 };
        cluster.CreateTopic(options.EventsTopic, 12);
        cluster.CreateTopic(options.DeadLetterTopic, 1);
        AnsiConsole.MarkupLineInterpolated($"mock Kafka at [grey]{cluster.BootstrapServers}[/], topic [bold]{options.EventsTopic}[/] with 12 partitions");

        using (var producer = EventProducer.Create(options))
        {
            foreach (var r in ratings) producer.Produce(r.ToEvent());
            // A few records that are not events: they go to the dead-letter topic and stop nothing.
            producer.ProduceRaw("demo", "not json"u8.ToArray());
            producer.ProduceRaw("demo", Encoding.UTF8.GetBytes("""{"userId":"demo","itemId":"1","type":"teleport","ts":946684800000}"""));
            producer.ProduceRaw("demo", null);
            producer.Flush(TimeSpan.FromSeconds(60));
        }
        AnsiConsole.MarkupLineInterpolated($"produced {ratings.Count:N0} ratings and 3 malformed records");

        var model = new Recommender(new ModelOptions());
        var embedder = new ContentEmbedder(model.Options.Dimension, model.Options.Seed);
        foreach (var item in items) model.SetItemVector(item.ItemId, embedder.Embed(item.Title, item.Genres, item.Tags));
        var node = new DemoNode(model);
        using var deadLetters = DeadLetterWriter.Create(options, logger);
        using var consumer = new EventConsumer(options, "demo-node", node, deadLetters, logger);
        var clock = Stopwatch.StartNew();
        consumer.Start();
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("consuming", maxValue: ratings.Count + 3);
                while (node.Consumed < ratings.Count + 3 && !cancel.IsCancellationRequested)
                {
                    task.Value = node.Consumed;
                    task.Description = $"consuming {node.Consumed / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0} events/s";
                    await Task.Delay(200, CancellationToken.None);
                }
                task.Value = node.Consumed;
            });
        await consumer.StopAsync();
        model.Flush();
        AnsiConsole.MarkupLineInterpolated($"applied {node.Applied:N0} events in {clock.Elapsed.TotalSeconds:F1} s; {node.DeadLetters} dead letters: {string.Join(", ", node.Reasons)}");

        foreach (var user in model.Profiles.OrderByDescending(p => p.Value.EventsApplied).Select(p => p.Key).Take(3).Append("someone-new"))
        {
            var rec = model.Recommend(user, 5);
            var table = new Table().Title($"user {user}: {(rec.ColdStart ? "cold start (popular now)" : string.Join(", ", rec.Memberships.Select(m => $"segment {m.Segment} {m.Amount:P0}")))}")
                .AddColumns("#", "movie", "score", "segments", "personal", "related");
            var rank = 0;
            foreach (var item in rec.Items)
                table.AddRow($"{++rank}", Markup.Escape(titles.GetValueOrDefault(item.ItemId, item.ItemId)), $"{item.Score:F3}",
                    string.Join(" ", item.Segments.Select(s => $"s{s.Segment}:{s.Amount:F3}")), $"{item.Personal:F3}", $"{item.Related:F3}");
            AnsiConsole.Write(table);
        }

        var snapshot = model.Snapshot;
        var segments = new Table().Title("segments").AddColumns("segment", "weight", "top movies");
        for (var k = 0; k < snapshot.SegmentCount; k++)
            segments.AddRow($"{k}", $"{snapshot.Weights[k]:N1}",
                Markup.Escape(string.Join(" | ", snapshot.TopItems(k, 3).Select(t => titles.GetValueOrDefault(t.ItemId, t.ItemId)))));
        AnsiConsole.Write(segments);
        return 0;
    }

    /// <summary>The demo's one node: every partition is its shard, events go straight into the model.</summary>
    private sealed class DemoNode(Recommender model) : IShardListener
    {
        private long _consumed, _applied, _dead;

        public List<string> Reasons { get; } = [];
        public long Consumed => Interlocked.Read(ref _consumed);
        public long Applied => Interlocked.Read(ref _applied);
        public long DeadLetters => Interlocked.Read(ref _dead);

        public IEnumerable<TopicPartitionOffset> OnAssigned(IReadOnlyList<TopicPartition> partitions) =>
            partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning));

        public void OnRevoked(IReadOnlyList<TopicPartition> partitions) { }

        public void OnLost(IReadOnlyList<TopicPartition> partitions) { }

        public bool OnEvent(BehaviourEvent ev, TopicPartitionOffset source)
        {
            model.Apply(ev);
            Interlocked.Increment(ref _applied);
            Interlocked.Increment(ref _consumed);
            return true;
        }

        public bool OnDeadLetter(DecodeError reason, TopicPartitionOffset source)
        {
            lock (Reasons) Reasons.Add(reason.Code);
            Interlocked.Increment(ref _dead);
            Interlocked.Increment(ref _consumed);
            return true;
        }
    }
}
