namespace RecoActors.Core;

/// <summary>
/// Item vectors supplied from outside (<see cref="EmbeddingReader"/>), by item id. It reads no text: items without a
/// vector, and what users write, get none.
/// </summary>
public sealed class ExternalVectors(IReadOnlyDictionary<string, float[]> vectors, int dimension) : ITextEmbedder
{
    /// <inheritdoc />
    public string Name => "file";

    /// <inheritdoc />
    public int Dimension => dimension;

    /// <summary>The vectors, by item id.</summary>
    public IReadOnlyDictionary<string, float[]> Vectors => vectors;

    /// <inheritdoc />
    public float[][] EmbedCatalogue(IReadOnlyList<ItemText> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return [.. items.Select(item => vectors.TryGetValue(item.ItemId, out var v) ? v : new float[dimension])];
    }

    /// <inheritdoc />
    public float[] EmbedText(string text) => new float[dimension];
}
