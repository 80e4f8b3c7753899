using RecoActors.Core;

namespace RecoActors.Text;

/// <summary>Where a text model's files are: the language model's folder, its embedding cache, an external vectors file.</summary>
/// <param name="ModelPath">A folder with <c>model.onnx</c> and <c>vocab.txt</c> to use instead of the copy built in; null for the built-in one.</param>
/// <param name="CachePath">The folder the language model's embeddings are cached in.</param>
/// <param name="EmbeddingsPath">Item vectors (CSV or JSON lines), for <see cref="TextEmbedderKind.File"/>.</param>
public sealed record TextSources(string? ModelPath, string CachePath, string? EmbeddingsPath);

/// <summary>The configured text embedder, and what it holds open (the language model, its cache file).</summary>
public sealed class TextModel : IDisposable
{
    private readonly IDisposable[] _owned;

    private TextModel(ITextEmbedder? embedder, EmbeddingCache? cache, params IDisposable[] owned)
    {
        Embedder = embedder;
        Cache = cache;
        _owned = owned;
    }

    /// <summary>The embedder; null for <see cref="TextEmbedderKind.None"/>.</summary>
    public ITextEmbedder? Embedder { get; }

    /// <summary>The language model's embedding cache, if it has one.</summary>
    public EmbeddingCache? Cache { get; }

    /// <summary>Loads what <paramref name="options"/>' <see cref="ModelOptions.TextEmbedder"/> names.</summary>
    /// <exception cref="TextModelException">A file is missing or unreadable; the message names it.</exception>
    public static TextModel Load(ModelOptions options, TextSources sources)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sources);
        switch (options.TextEmbedder)
        {
            case TextEmbedderKind.None:
                return new TextModel(null, null);
            case TextEmbedderKind.Hashing:
                return new TextModel(new ContentEmbedder(options.Dimension, options.Seed), null);
            case TextEmbedderKind.File:
                if (sources.EmbeddingsPath is not { Length: > 0 } file) throw new TextModelException("the file embedder needs an embeddings file, and none is set");
                try
                {
                    using var reader = new StreamReader(file);
                    return new TextModel(new ExternalVectors(EmbeddingReader.Read(reader, Path.GetFileName(file), options.Dimension), options.Dimension), null);
                }
                catch (Exception ex) when (ex is FormatException or IOException)
                {
                    throw new TextModelException($"{Path.GetFullPath(file)}: {ex.Message}", ex);
                }
            case TextEmbedderKind.MiniLm:
                // The built-in model is the process's, shared; a model loaded from a folder is this one's to close.
                var loaded = sources.ModelPath is null ? null : MiniLmEncoder.Load(sources.ModelPath);
                var encoder = loaded ?? MiniLmEncoder.BuiltIn;
                EmbeddingCache cache;
                try
                {
                    cache = EmbeddingCache.Open(sources.CachePath, encoder);
                }
                catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    loaded?.Dispose();
                    throw new TextModelException(ex.Message, ex);
                }
                return new TextModel(new SentenceEmbedder(cache, options), cache, loaded is null ? [cache] : [cache, loaded]);
            default:
                throw new TextModelException($"no text embedder is called {options.TextEmbedder}");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }
}
