using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Text;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary>
/// <c>reco embed</c>: items' text through the language model (or hashing) to the model's dimension, written as JSON
/// lines <c>{"itemId":"…","vector":[…]}</c>, the format <c>--embeddings</c> and <c>Reco:Text:EmbeddingsPath</c> read.
/// The language model's cache fills on the way, so a node started on the same cache folder embeds nothing.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var items = new Option<FileInfo>("--items") { Description = "MovieLens movies.csv (or u.item).", Required = true };
        var tags = new Option<FileInfo?>("--tags") { Description = "MovieLens tags.csv: each item's tags join its text." };
        var output = new Option<FileInfo>("--out") { Description = "The JSON-lines file to write.", Required = true };
        var dimension = new Option<int?>("--dimension") { Description = "Vector dimension d (the model's)." };
        var textEmbedder = TextOptions.Embedder();
        var textModel = TextOptions.ModelFolder();
        var cache = TextOptions.CacheFolder();
        var command = new Command("embed", "Embed items' text (title, genres, tags) with the language model and write their vectors.")
        {
            items, tags, output, dimension, textEmbedder, textModel, cache,
        };
        command.SetAction(parse =>
        {
            var options = new ModelOptions { TextEmbedder = parse.GetValue(textEmbedder) ?? TextEmbedderKind.MiniLm };
            if (parse.GetValue(dimension) is { } d) options = options with { Dimension = d };
            try { options.Validate(); }
            catch (ArgumentOutOfRangeException ex) { return Fail($"--{ex.ParamName?.ToLowerInvariant()}: {ex.Message}"); }
            if (options.TextEmbedder is TextEmbedderKind.None or TextEmbedderKind.File) return Fail($"--text-embedder: {TextOptions.Name(options.TextEmbedder)} embeds no text; use minilm or hashing");
            var itemsFile = parse.GetValue(items)!;
            if (!itemsFile.Exists) return Fail($"--items: {itemsFile.FullName} does not exist");
            var tagsFile = parse.GetValue(tags);
            if (tagsFile is { Exists: false }) return Fail($"--tags: {tagsFile.FullName} does not exist");

            var texts = ItemTextFile.Read(itemsFile.FullName, tagsFile?.FullName).Items;
            TextModel text;
            var load = Stopwatch.StartNew();
            try
            {
                text = TextModel.Load(options, new TextSources(parse.GetValue(textModel)?.FullName, parse.GetValue(cache)!.FullName, null));
            }
            catch (TextModelException ex)
            {
                return Fail($"--text-embedder {TextOptions.Name(options.TextEmbedder)}: {ex.Message}");
            }
            using var _ = text;
            AnsiConsole.MarkupLineInterpolated($"{texts.Count:N0} items; {text.Embedder!.Name} loaded in {load.Elapsed.TotalSeconds:F1} s{(text.Cache is { } c ? $", {c.Count:N0} texts cached in {c.Path}" : "")}");
            var (embedded, elapsed) = TextOptions.Warm(text, texts);
            var vectors = text.Embedder.EmbedCatalogue(texts);

            var outFile = parse.GetValue(output)!;
            outFile.Directory?.Create();
            using (var writer = new StreamWriter(outFile.FullName))
                for (var i = 0; i < texts.Count; i++)
                    writer.WriteLine($"{{\"itemId\":\"{JsonEncodedText.Encode(texts[i].ItemId)}\",\"vector\":[{string.Join(',', vectors[i].Select(x => x.ToString("R", CultureInfo.InvariantCulture)))}]}}");
            var rate = embedded > 0 ? $" ({embedded / elapsed.TotalSeconds:N0} items/s by the model)" : "";
            AnsiConsole.MarkupLineInterpolated($"{texts.Count:N0} vectors of {options.Dimension} written to {outFile.FullName}; {embedded:N0} embedded now{rate}, {texts.Count - embedded:N0} from the cache");
            return 0;
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"reco embed: {message}");
        return 2;
    }
}
