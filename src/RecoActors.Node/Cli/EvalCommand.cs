using System.CommandLine;
using System.Text.Json;
using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Text;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary><c>reco eval</c>: prequential evaluation of fusion, k1, pop and item-kNN on a ratings log.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var ratings = new Option<FileInfo>("--ratings") { Description = "MovieLens ratings.csv (with header) or u.data (tab-separated).", Required = true };
        var items = new Option<FileInfo?>("--items") { Description = "Item text: movies.csv or u.item. Default: beside the ratings file, if present." };
        var tags = new Option<FileInfo?>("--tags") { Description = "MovieLens tags.csv. Default: beside the ratings file, if present." };
        var embeddings = new Option<FileInfo?>("--embeddings") { Description = "External item vectors (CSV or JSON lines); implies --text-embedder file." };
        var textEmbedder = TextOptions.Embedder();
        var textModel = TextOptions.ModelFolder();
        var cache = TextOptions.CacheFolder();
        var output = new Option<FileInfo?>("--out") { Description = "Write the JSON report here." };
        var segments = new Option<int?>("--segments") { Description = "Number of segments K." };
        var dimension = new Option<int?>("--dimension") { Description = "Vector dimension d." };
        var batch = new Option<int>("--batch") { Description = "Events per global-model batch.", DefaultValueFactory = _ => 200 };
        var ablate = new Option<bool>("--ablate") { Description = "Also run fusion with each term of its score removed (segments, personal, related), in the same replay." };
        var command = new Command("eval", "Replay a ratings log prequentially and report HR@10, NDCG@10 and coverage for fusion, k1, pop and itemknn.")
        {
            ratings, items, tags, embeddings, textEmbedder, textModel, cache, output, segments, dimension, batch, ablate,
        };
        command.SetAction(parse =>
        {
            var ratingsFile = parse.GetValue(ratings)!;
            if (!ratingsFile.Exists) return Fail($"--ratings: {ratingsFile.FullName} does not exist");
            var options = new ModelOptions();
            if (parse.GetValue(segments) is { } k) options = options with { Segments = k };
            if (parse.GetValue(dimension) is { } d) options = options with { Dimension = d };
            var embeddingFile = parse.GetValue(embeddings);
            if (embeddingFile is not null) options = options with { TextEmbedder = TextEmbedderKind.File };
            if (parse.GetValue(textEmbedder) is { } kind)
            {
                if (embeddingFile is not null && kind != TextEmbedderKind.File) return Fail($"--embeddings: external vectors are the file embedder; --text-embedder says {kind}");
                options = options with { TextEmbedder = kind };
            }
            try { options.Validate(); }
            catch (ArgumentOutOfRangeException ex) { return Fail($"--{ex.ParamName?.ToLowerInvariant()}: {ex.Message}"); }

            var itemsFile = parse.GetValue(items) ?? Beside(ratingsFile, "movies.csv", "u.item");
            var tagsFile = parse.GetValue(tags) ?? Beside(ratingsFile, "tags.csv");
            RatingsLog log;
            using (var reader = new StreamReader(ratingsFile.FullName)) log = RatingsFile.Read(reader);
            var itemTexts = itemsFile is { Exists: true } ? ItemTextFile.Read(itemsFile.FullName, tagsFile is { Exists: true } ? tagsFile.FullName : null).Items : [];
            if (options.TextEmbedder == TextEmbedderKind.File && embeddingFile is null) return Fail("--text-embedder file: needs --embeddings FILE");
            TextModel text;
            try
            {
                text = TextModel.Load(options, new TextSources(parse.GetValue(textModel)?.FullName, parse.GetValue(cache)!.FullName, embeddingFile?.FullName));
            }
            catch (TextModelException ex)
            {
                return Fail($"{(options.TextEmbedder == TextEmbedderKind.File ? "--embeddings" : "--text-embedder " + TextOptions.Name(options.TextEmbedder))}: {ex.Message}");
            }
            using var _ = text;

            AnsiConsole.MarkupLineInterpolated($"[bold]{log.Ratings.Count:N0}[/] ratings, {itemTexts.Count:N0} items with text ({TextOptions.Name(options.TextEmbedder)}), {log.Malformed} malformed rows skipped");
            foreach (var example in log.MalformedExamples) AnsiConsole.MarkupLineInterpolated($"  [yellow]skipped[/] {example}");

            TextOptions.Warm(text, itemTexts);
            EvaluationReport report = null!;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("replaying", maxValue: log.Ratings.Count);
                    report = Prequential.Run(ratingsFile.Directory?.Name ?? ratingsFile.Name, log, itemTexts, options, text.Embedder,
                        parse.GetValue(batch), new Progress<int>(done => task.Value = done), ablate: parse.GetValue(ablate));
                    task.Value = log.Ratings.Count;
                });

            var table = new Table().AddColumns("model", "HR@10", "NDCG@10", "coverage", "events/s", "HR vs fusion");
            var fusionHitRate = report.Models["fusion"].HitRate;
            foreach (var (name, s) in report.Models)
                table.AddRow(name, $"{s.HitRate:F4}", $"{s.Ndcg:F4}", $"{s.Coverage:F4}", $"{s.EventsPerSecond:N0}",
                    fusionHitRate > 0 ? $"{s.HitRate / fusionHitRate:F3}" : "-");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{report.Evaluated:N0} of {report.Events:N0} events evaluated");
            if (parse.GetValue(output) is { } outFile)
            {
                outFile.Directory?.Create();
                File.WriteAllText(outFile.FullName, JsonSerializer.Serialize(report, ReportJson.Default.EvaluationReport) + "\n");
                AnsiConsole.MarkupLineInterpolated($"report written to {outFile.FullName}");
            }
            return 0;
        });
        return command;
    }

    private static FileInfo? Beside(FileInfo file, params string[] names) =>
        names.Select(n => new FileInfo(Path.Combine(file.DirectoryName ?? ".", n))).FirstOrDefault(f => f.Exists);

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"reco eval: {message}");
        return 2;
    }
}
