namespace RecoActors.Core;

/// <summary>
/// One immutable version of the global model that every user reads: segment centroids and weights, each
/// segment's top items, global popularity and the item vectors. Built by <see cref="GlobalModel"/>; safe to
/// share across threads.
/// </summary>
public sealed class ModelSnapshot
{
    internal ModelSnapshot(ModelOptions options, long version, long epoch, long time, float[] centroids, double[] weights, double[] drift, int[] reseeded,
        SegmentModel[] segments, SegmentItems popular, RowTable<float[]> itemVectors, QuantizedRows quantizedItemVectors, string[] itemIds,
        RowTable<(int Item, float Score)[]> neighbors, IReadOnlyList<float[]?> content, ITextEmbedder? text)
    {
        Options = options;
        Version = version;
        Epoch = epoch;
        Time = time;
        Centroids = centroids;
        Weights = weights;
        Drift = drift;
        Reseeded = reseeded;
        Items = [.. segments.Select(segment => segment.Top)];
        SegmentNeighbors = [.. segments.Select(segment => segment.Neighbors)];
        FusionWeights = [.. segments.Select(segment => segment.FusionWeights)];
        Popular = popular;
        ItemVectors = itemVectors;
        ItemIds = itemIds;
        Neighbors = neighbors;
        Content = content;
        Text = text;
        QuantizedItemVectors = quantizedItemVectors;
        _noVector = new float[options.Dimension];
    }

    // The key vector of an item that has none yet.
    private readonly float[] _noVector;

    /// <summary><see cref="ItemVectors"/> as signed bytes, for the nearest-item scan (zeros: no vector yet).</summary>
    internal QuantizedRows QuantizedItemVectors { get; }

    /// <summary>Each item's nearest items by cosine over co-visitation, best first (null: none yet).</summary>
    internal RowTable<(int Item, float Score)[]> Neighbors { get; }

    /// <summary>Each segment's learned fusion weights.</summary>
    public IReadOnlyList<FusionWeights> FusionWeights { get; }

    /// <summary>Per segment, each item's nearest items among that segment's users, best first (null: none yet).</summary>
    internal RowTable<(int Item, float Score)[]>[] SegmentNeighbors { get; }

    /// <summary>The items most often taken close to <paramref name="item"/> by the same users, best first.</summary>
    public IReadOnlyList<(string ItemId, float Score)> Related(int item) => Named(Neighbors[item]);

    /// <summary>The items most often taken close to <paramref name="item"/> by the same users of segment <paramref name="segment"/>, best first.</summary>
    public IReadOnlyList<(string ItemId, float Score)> Related(int item, int segment) => Named(SegmentNeighbors[segment][item]);

    private (string ItemId, float Score)[] Named((int Item, float Score)[]? neighbours) =>
        neighbours is null ? [] : [.. neighbours.Select(x => (IdOf(x.Item), x.Score))];

    /// <summary>Unit content (or external) vectors by item index, null where none: configuration, fixed before events flow.</summary>
    internal IReadOnlyList<float[]?> Content { get; }

    /// <summary>
    /// Writes an item's unit query vector, what an event adds to a profile: the item's signature blended with its
    /// content vector. It depends only on the item and configuration, never on what was learned, so a profile
    /// depends only on its own user's events: replayed anywhere, after any failure, it comes out bit for bit the same.
    /// </summary>
    public void QueryVector(string itemId, int item, Span<float> destination)
    {
        Signature.Write(itemId, Options.Seed, destination);
        if (item >= Content.Count || Content[item] is not { } content) return;
        var share = Options.CollaborativeShare;
        Vectors.Scale(destination, share);
        Vectors.AddScaled(destination, content, 1 - share);
        Vectors.Normalize(destination, destination);
    }

    /// <summary>What embeds the tags users write, or null: configuration, like <see cref="Content"/>.</summary>
    internal ITextEmbedder? Text { get; }

    /// <summary>
    /// Writes the unit vector of a text a user wrote (a tag), what a tag event adds to the profile in place of the
    /// item's query vector; false when there is no text model or the text has no direction.
    /// Like a query vector it depends only on the text and configuration, so replays give the same bits.
    /// </summary>
    public bool TextVector(string text, Span<float> destination) => Text is not null && Vectors.Normalize(Text.EmbedText(text), destination);

    /// <summary>The options the model was built with.</summary>
    public ModelOptions Options { get; }

    /// <summary>How many batches have been merged into this version.</summary>
    public long Version { get; }

    /// <summary>The forward-decay reference time of partials built against this snapshot.</summary>
    public long Epoch { get; }

    /// <summary>Event time of the newest batch merged, or <see cref="long.MinValue"/>.</summary>
    public long Time { get; }

    /// <summary>Segment centroids, K rows of d floats.</summary>
    internal float[] Centroids { get; }

    /// <summary>Decayed weight (point mass) of each segment.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>How far each segment's centroid moved in the fold that made this version (Euclidean; a re-seeded segment jumps).</summary>
    public IReadOnlyList<double> Drift { get; }

    /// <summary>The segments re-seeded (split off the heaviest) in the fold that made this version.</summary>
    public IReadOnlyList<int> Reseeded { get; }

    /// <summary>Each segment's top items, scores scaled so the best is 1.</summary>
    internal SegmentItems[] Items { get; }

    /// <summary>The most popular items, decayed, scaled so the best is 1.</summary>
    internal SegmentItems Popular { get; }

    /// <summary>Unit item key vectors (learned collaborative blended with content), a row of d floats per item index (null: none yet).</summary>
    internal RowTable<float[]> ItemVectors { get; }

    /// <summary>Item ids by index, for the items this snapshot has vectors for.</summary>
    internal string[] ItemIds { get; }

    /// <summary>Number of segments.</summary>
    public int SegmentCount => Weights.Count;

    /// <summary>Number of items with a row in <see cref="ItemVectors"/>.</summary>
    public int ItemCount => ItemIds.Length;

    /// <summary>The id of an item index.</summary>
    public string ItemId(int item) => ItemIds[item];

    /// <summary>Centroid of segment k.</summary>
    public ReadOnlySpan<float> Centroid(int k) => Centroids.AsSpan(k * Options.Dimension, Options.Dimension);

    /// <summary>The unit key vector of an item (what profiles are matched against when ranking), or an empty span when this snapshot has none for it.</summary>
    public ReadOnlySpan<float> ItemVector(int item) =>
        item < ItemCount ? ItemVectors[item] ?? _noVector : [];

    /// <summary>Segment k's top items, best first, with scores in (0, 1].</summary>
    public IReadOnlyList<(string ItemId, float Score)> TopItems(int k, int count) =>
        [.. Items[k].Ranked.Take(count).Select(x => (IdOf(x.Item), x.Score))];

    /// <summary>An item's id; an item newer than this snapshot (known to the catalog only) shows its index.</summary>
    private string IdOf(int item) => item < ItemIds.Length ? ItemIds[item] : item.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The segment whose centroid is nearest a unit profile.</summary>
    public int NearestSegment(ReadOnlySpan<float> unitProfile)
    {
        var best = 0;
        var bestDistance = float.PositiveInfinity;
        for (var k = 0; k < SegmentCount; k++)
        {
            var d = Vectors.SquaredDistance(unitProfile, Centroid(k));
            if (d < bestDistance)
            {
                bestDistance = d;
                best = k;
            }
        }
        return best;
    }
}

/// <summary>A ranked, bounded list of items with scores (immutable once made).</summary>
public sealed class SegmentItems
{
    /// <summary>No items.</summary>
    public static readonly SegmentItems Empty = new([]);

    /// <summary>Items ranked best first.</summary>
    public SegmentItems((int Item, float Score)[] ranked)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        Ranked = ranked;
    }

    /// <summary>The items by index, best first.</summary>
    public (int Item, float Score)[] Ranked { get; }

    /// <summary>The top <paramref name="count"/> of a score table, scaled so the best is 1.</summary>
    internal static SegmentItems Top(IEnumerable<KeyValuePair<int, double>> scores, int count)
    {
        var top = new TopK(count);
        var max = 0.0;
        foreach (var (item, s) in scores) if (s > max) max = s;
        if (max <= 0) return Empty;
        foreach (var (item, s) in scores)
            if (s > 0) top.Offer(item, (float)(s / max));
        return new SegmentItems(top.Drain());
    }
}
