using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary>
/// <c>reco produce</c>: a ratings file (MovieLens <c>ratings.csv</c> or <c>u.data</c>), a tags file (<c>tags.csv</c>, as tag
/// events with their text) or a JSON-lines file of events
/// into the events topic, keyed by user, in file order, with progress. JSON lines go as they are: a line that is not
/// a valid event still goes, and the nodes send it to the dead-letter topic with its reason.
/// </summary>
internal static class ProduceCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "ratings.csv, u.data, tags.csv, or a .jsonl file of events." };
        var bootstrap = new Option<string>("--bootstrap-servers")
        {
            Description = "Kafka brokers (host:port,…); default: RECO__KAFKA__BOOTSTRAPSERVERS.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RECO__KAFKA__BOOTSTRAPSERVERS") ?? "",
        };
        var topic = new Option<string>("--topic") { Description = "The events topic.", DefaultValueFactory = _ => new KafkaOptions().EventsTopic };
        var rate = new Option<int>("--rate") { Description = "At most this many records per second (0: as fast as Kafka takes them)." };
        rate.Validators.Add(r => { if (r.GetValue(rate) < 0) r.AddError("--rate must be 0 or positive"); });
        var command = new Command("produce", "Write a ratings, tags or JSON-lines file to the events topic, keyed by user id.") { file, bootstrap, topic, rate };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(bootstrap)!, parse.GetValue(topic)!, parse.GetValue(rate)));
        return command;
    }

    private static int Run(FileInfo file, string bootstrap, string topic, int rate)
    {
        var options = new KafkaOptions { BootstrapServers = bootstrap, EventsTopic = topic };
        var errors = options.Validate("--").Where(e => e.StartsWith("--:BootstrapServers") || e.StartsWith("--:EventsTopic")).ToList();
        if (errors.Count > 0)
        {
            Console.Error.WriteLine("reco produce: " + string.Join("; ", errors).Replace("--:BootstrapServers", "--bootstrap-servers").Replace("--:EventsTopic", "--topic"));
            return 2;
        }
        if (!file.Exists)
        {
            Console.Error.WriteLine($"reco produce: {file.FullName} does not exist");
            return 2;
        }
        var records = Read(file);
        using var producer = EventProducer.Create(options, "reco-produce");
        long failed = 0;
        var clock = Stopwatch.StartNew();
        AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"producing to {topic}", maxValue: records.Count);
                var sent = 0;
                foreach (var (key, value) in records)
                {
                    while (true)
                    {
                        try
                        {
                            producer.ProduceRaw(key, value, report => { if (report.Error.IsError) Interlocked.Increment(ref failed); });
                            break;
                        }
                        catch (ProduceException<string?, byte[]?> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                        {
                            // The client's queue is full: wait for deliveries rather than drop anything.
                            Thread.Sleep(5);
                        }
                    }
                    if (++sent % 1_000 == 0) task.Value = sent;
                    // Paced against the start, not per record, so the rate holds on average whatever Sleep's granularity.
                    if (rate > 0 && sent * 1000L / rate - clock.ElapsedMilliseconds is var ahead and > 0) Thread.Sleep((int)ahead);
                }
                task.Value = sent;
            });
        producer.Flush(TimeSpan.FromMinutes(2));
        if (failed > 0)
        {
            Console.Error.WriteLine($"reco produce: {failed} of {records.Count} records were not acknowledged");
            return 1;
        }
        Console.WriteLine($"produced {records.Count:N0} records to {topic} in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static List<(string? Key, byte[] Value)> Read(FileInfo file)
    {
        using var reader = file.OpenText();
        if (file.Extension is ".jsonl" or ".ndjson" or ".json")
        {
            var lines = new List<(string?, byte[])>();
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (line.Length == 0) continue;
                var bytes = Encoding.UTF8.GetBytes(line);
                lines.Add((EventCodec.TryDecode(bytes, EventRules.Default, out var ev, out _) ? ev.UserId : null, bytes));
            }
            return lines;
        }
        if (TagsFile.IsHeader(File.ReadLines(file.FullName).FirstOrDefault()))
        {
            // What users wrote: tag events, each with its text, which move the profile towards what it says.
            var (events, malformed, examples) = TagsFile.Read(reader);
            if (malformed > 0) Console.Error.WriteLine($"reco produce: skipped {malformed} malformed rows, e.g. {string.Join("; ", examples.Take(3))}");
            return [.. events.Select(e => ((string?)e.UserId, EventCodec.Encode(e)))];
        }
        var log = RatingsFile.Read(reader);
        if (log.Malformed > 0) Console.Error.WriteLine($"reco produce: skipped {log.Malformed} malformed rows, e.g. {string.Join("; ", log.MalformedExamples.Take(3))}");
        return [.. log.Ratings.Select(r => r.ToEvent()).Select(e => ((string?)e.UserId, EventCodec.Encode(e)))];
    }
}
