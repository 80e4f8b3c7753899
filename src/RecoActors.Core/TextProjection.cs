namespace RecoActors.Core;

/// <summary>
/// A fixed random projection from a language model's space to the model's dimension (Johnson–Lindenstrauss: ±1
/// entries from a seeded hash), after subtracting the mean of the catalogue's embeddings.
/// </summary>
/// <remarks>
/// Random rather than PCA: it needs no fitting, so an item embedded later lands in the same space, and it is the
/// same on every node by construction. The mean is the one fitted part, and it matters: sentence-model vectors
/// share a large common direction (unrelated titles have cosine ~0.3), which would otherwise dominate every
/// profile built from them. The mean comes from the catalogue the node was started with, in file order, so every
/// node subtracts the same bits.
/// </remarks>
public sealed class TextProjection
{
    private readonly float[] _matrix;
    private readonly float[] _mean;

    /// <summary>A projection from <paramref name="from"/> to <paramref name="to"/> dimensions; the mean starts at zero.</summary>
    public TextProjection(int from, int to, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(from);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(to);
        From = from;
        To = to;
        _mean = new float[from];
        _matrix = new float[to * from];
        var scale = 1f / MathF.Sqrt(to);
        for (var r = 0; r < to; r++)
            for (var c = 0; c < from; c++)
            {
                var h = StableHash.Mix(((ulong)(uint)seed << 32) ^ (ulong)(r * from + c) ^ 0x5851F42D4C957F2DUL);
                _matrix[r * from + c] = (h >> 63) == 0 ? scale : -scale;
            }
    }

    /// <summary>The language model's dimension.</summary>
    public int From { get; }

    /// <summary>The model's dimension.</summary>
    public int To { get; }

    /// <summary>Sets the mean to subtract: the average of <paramref name="embeddings"/> (each of <see cref="From"/> floats), summed in order.</summary>
    public void FitMean(IEnumerable<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var sum = new double[From];
        var n = 0;
        foreach (var e in embeddings)
        {
            if (e.Length != From) throw new ArgumentException($"an embedding has {e.Length} dimensions; the projection takes {From}", nameof(embeddings));
            for (var i = 0; i < From; i++) sum[i] += e[i];
            n++;
        }
        for (var i = 0; i < From; i++) _mean[i] = n == 0 ? 0f : (float)(sum[i] / n);
    }

    /// <summary>The unit projection of <paramref name="embedding"/> less the mean; all zeros if nothing is left.</summary>
    public float[] Project(ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != From) throw new ArgumentException($"the embedding has {embedding.Length} dimensions; the projection takes {From}", nameof(embedding));
        Span<float> centred = embedding.Length <= 1024 ? stackalloc float[embedding.Length] : new float[embedding.Length];
        for (var i = 0; i < From; i++) centred[i] = embedding[i] - _mean[i];
        var result = new float[To];
        for (var r = 0; r < To; r++) result[r] = Vectors.Dot(_matrix.AsSpan(r * From, From), centred);
        Vectors.Normalize(result, result);
        return result;
    }
}
