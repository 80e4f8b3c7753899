using System.CommandLine;
using System.Diagnostics;
using RecoActors.Core;
using RecoActors.Text;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary>The text-model options the commands that embed share, and the warm-up of a language model's cache with a progress bar.</summary>
internal static class TextOptions
{
    /// <summary>The default cache folder when none is given: the machine's temporary folder (a cache may be lost).</summary>
    public static string DefaultCache => Path.Combine(Path.GetTempPath(), "reco-embeddings");

    public static Option<TextEmbedderKind?> Embedder() => new("--text-embedder")
    {
        Description = "Item and user text vectors: none, hashing, minilm (a language model run locally) or file (--embeddings).",
        CustomParser = r => Parse(r.Tokens[0].Value, out var kind) ? kind : Error(r, $"'{r.Tokens[0].Value}' is not one of none, hashing, minilm, file"),
    };

    public static Option<DirectoryInfo?> ModelFolder() => new("--text-model")
    {
        Description = $"A folder with {MiniLmEncoder.ModelFile} and {MiniLmEncoder.VocabularyFile} to use instead of the built-in all-MiniLM-L6-v2.",
    };

    public static Option<DirectoryInfo> CacheFolder() => new("--embedding-cache")
    {
        Description = "Where the language model's embeddings are cached.",
        DefaultValueFactory = _ => new DirectoryInfo(DefaultCache),
    };

    /// <summary>The configuration name of a kind: <c>minilm</c>.</summary>
    public static string Name(TextEmbedderKind kind) => kind.ToString().ToLowerInvariant();

    private static bool Parse(string text, out TextEmbedderKind kind) =>
        Enum.TryParse(text, ignoreCase: true, out kind) && Enum.IsDefined(kind) && !int.TryParse(text, out _);

    private static TextEmbedderKind? Error(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError($"--text-embedder: {message}");
        return null;
    }

    /// <summary>
    /// Embeds what the cache lacks of the catalogue, with a progress bar and items/s, so what follows reads vectors
    /// rather than waiting on the model; nothing to do for an embedder without a language model.
    /// </summary>
    /// <returns>How many items the model embedded, and how long it took.</returns>
    public static (int Embedded, TimeSpan Elapsed) Warm(TextModel text, IReadOnlyList<ItemText> items)
    {
        if (text.Cache is not { } cache || items.Count == 0) return (0, TimeSpan.Zero);
        var sentences = items.Select(SentenceEmbedder.Sentence).ToList();
        var before = cache.Misses;
        var clock = Stopwatch.StartNew();
        AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RateColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"embedding items ({cache.Name})", maxValue: sentences.Count);
                const int batch = 16;
                for (var start = 0; start < sentences.Count; start += batch)
                {
                    cache.Encode(sentences.GetRange(start, Math.Min(batch, sentences.Count - start)));
                    task.Value = start + batch;
                }
            });
        return (cache.Misses - before, clock.Elapsed);
    }

    /// <summary>Items/s as a progress column, from the task's own speed.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Spectre.Console.Text(task.Speed is { } s ? $"{s:N0} items/s" : "");
    }
}
