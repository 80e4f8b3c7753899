namespace RecoActors.Core;

/// <summary>
/// Content vectors by feature hashing: each token (title word, genre, tag) adds ±weight at a hashed coordinate.
/// Items that share genres, words and tags point the same way, with no training and no vocabulary. A tag a user
/// writes hashes as an item's tag does, so the user's profile turns towards the items tagged alike.
/// </summary>
public sealed class ContentEmbedder(int dimension, int seed) : ITextEmbedder
{
    /// <inheritdoc />
    public string Name => "hashing";

    /// <inheritdoc />
    public int Dimension => dimension;

    /// <inheritdoc />
    public float[][] EmbedCatalogue(IReadOnlyList<ItemText> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return [.. items.Select(item => Embed(item.Title, item.Genres, item.Tags))];
    }

    /// <inheritdoc />
    public float[] EmbedText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var v = new float[dimension];
        if (text.Trim() is { Length: > 0 } tag) Add(v, "t:" + tag.ToLowerInvariant(), TagWeight);
        Vectors.Normalize(v, v);
        return v;
    }

    /// <summary>Relative weights of the token kinds.</summary>
    private const float TitleWeight = 0.5f, GenreWeight = 1f, TagWeight = 0.7f;

    /// <summary>A unit vector for an item's text; all zeros when it has no tokens.</summary>
    public float[] Embed(string? title, IEnumerable<string> genres, IEnumerable<string> tags)
    {
        var v = new float[dimension];
        if (title is not null)
            foreach (var word in Words(title)) Add(v, "w:" + word, TitleWeight);
        foreach (var g in genres) Add(v, "g:" + g.Trim().ToLowerInvariant(), GenreWeight);
        foreach (var t in tags) Add(v, "t:" + t.Trim().ToLowerInvariant(), TagWeight);
        Vectors.Normalize(v, v);
        return v;
    }

    private void Add(float[] v, string token, float weight)
    {
        // Two hashed coordinates per token soften collisions at small dimensions.
        var h = StableHash.Of(token, (ulong)(uint)seed);
        for (var k = 0; k < 2; k++, h = StableHash.Mix(h + 0x9E3779B97F4A7C15UL))
            v[(int)(h % (ulong)dimension)] += ((h >> 63) == 0 ? weight : -weight);
    }

    private static IEnumerable<string> Words(string title)
    {
        var start = -1;
        for (var i = 0; i <= title.Length; i++)
        {
            var letter = i < title.Length && char.IsLetterOrDigit(title[i]);
            if (letter && start < 0) start = i;
            else if (!letter && start >= 0)
            {
                var w = title[start..i].ToLowerInvariant();
                if (w.Length > 2 && w is not ("the" or "and")) yield return w;
                start = -1;
            }
        }
    }
}
