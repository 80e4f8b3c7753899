using System.Text;

namespace RecoActors.Core;

/// <summary>
/// Item and user text through a sentence-embedding model (<see cref="ISentenceEncoder"/>), projected to the model's
/// dimension by a <see cref="TextProjection"/> centred on the catalogue.
/// </summary>
public sealed class SentenceEmbedder : ITextEmbedder
{
    private readonly ISentenceEncoder _encoder;
    private readonly TextProjection _projection;
    // Users write the same tags again and again: each text's projected vector once (a projection is 384×d multiply-adds).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> _texts = new(StringComparer.Ordinal);
    private const int MaxTexts = 100_000;

    /// <summary>An embedder over <paramref name="encoder"/> for a model of <paramref name="options"/>' dimension and seed.</summary>
    public SentenceEmbedder(ISentenceEncoder encoder, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(options);
        _encoder = encoder;
        _projection = new TextProjection(encoder.Dimension, options.Dimension, options.Seed);
    }

    /// <inheritdoc />
    public string Name => _encoder.Name;

    /// <inheritdoc />
    public int Dimension => _projection.To;

    /// <inheritdoc />
    /// <remarks>Centres the projection on the catalogue: the mean of its embeddings is what every vector is measured from.</remarks>
    public float[][] EmbedCatalogue(IReadOnlyList<ItemText> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var raw = _encoder.Encode([.. items.Select(Sentence)]);
        _projection.FitMean(raw);
        _texts.Clear();
        return [.. raw.Select(r => _projection.Project(r))];
    }

    /// <inheritdoc />
    /// <remarks>The vector is the caller's to keep; a copy of the one kept for the text.</remarks>
    public float[] EmbedText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) return new float[Dimension];
        var key = text.Trim();
        if (!_texts.TryGetValue(key, out var vector))
        {
            vector = _projection.Project(_encoder.Encode([key])[0]);
            if (_texts.Count < MaxTexts) _texts.TryAdd(key, vector);
        }
        return (float[])vector.Clone();
    }

    /// <summary>What the language model reads for an item: <c>Toy Story (1995). Adventure, Animation. Tags: pixar, fun.</c></summary>
    public static string Sentence(ItemText item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var s = new StringBuilder(item.Title.Trim());
        if (item.Genres.Count > 0) s.Append(". ").AppendJoin(", ", item.Genres);
        // Tags repeat across users ("pixar" ×12); once each, in first-seen order, keeps the sentence short.
        if (item.Tags.Count > 0) s.Append(". Tags: ").AppendJoin(", ", item.Tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase));
        return s.Append('.').ToString();
    }
}
