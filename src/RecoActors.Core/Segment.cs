namespace RecoActors.Core;

/// <summary>
/// One segment of the model: its centroid (streaming k-means with decay), its weight (the decayed count of profile
/// updates nearest to it) and its local models: decayed per-item scores, and item neighbours learned from its own
/// users' co-visitations only. A <see cref="GlobalModel"/> holds K of them; in a node each is folded and ranked by its
/// own actor, between the model's own steps of a fold.
/// </summary>
public sealed class Segment
{
    private readonly float[] _centroid;
    private Dictionary<int, double> _items = [];

    internal Segment(float[] centroid, ModelOptions options)
    {
        _centroid = centroid;
        CoVisits = new CoVisitation(options.SegmentCoVisitNeighbors, options.CoVisitBackward);
        FusionWeights = FusionWeights.Initial(options);
    }

    /// <summary>The weights this segment's users' scores fuse their terms with, learned from their events.</summary>
    public FusionWeights FusionWeights { get; internal set; }

    /// <summary>The segment's own item neighbours (read it only from the segment's owner).</summary>
    internal CoVisitation CoVisits { get; }

    /// <summary>The segment's index in its model.</summary>
    public int Index { get; internal init; }

    /// <summary>The centroid (live: read it only from the segment's owner).</summary>
    public ReadOnlySpan<float> Centroid => _centroid;

    /// <summary>The decayed count of profile updates nearest to this segment.</summary>
    public double Weight { get; private set; }

    /// <summary>Decayed interest per item among this segment's users (forward-decayed against the model's epoch).</summary>
    internal Dictionary<int, double> Items => _items;

    /// <summary>
    /// Folds in the segment's part of one batch: Spark's streaming k-means step n' = n·a + m,
    /// c ← c + (m/n')(x̄ − c), and the batch's item scores and its users' co-visitations at the batch's scale.
    /// </summary>
    /// <param name="fold">What every segment's fold of this batch shares.</param>
    /// <param name="batch">The batch (read only).</param>
    public void Fold(SegmentFold fold, ModelPartial batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var d = _centroid.Length;
        var m = batch.PointCounts[Index];
        var n = Weight * fold.Decay + m;
        Weight = n;
        if (m > 0)
        {
            var sums = batch.PointSums.AsSpan(Index * d, d);
            var step = m / n;
            for (var i = 0; i < d; i++) _centroid[i] += (float)(step * (sums[i] / m - _centroid[i]));
        }
        foreach (var (item, s) in batch.SegmentItems[Index]) _items[item] = _items.GetValueOrDefault(item) + s * fold.Scale;
        CoVisits.Fold(batch.SegmentPositives[Index], batch.CoVisits, Index, fold.Scale, 0);
        if (fold.Learning is { } learning && learning.Mass[Index] > 0)
        {
            Span<double> gradient = stackalloc double[FusionWeights.Terms];
            for (var t = 0; t < gradient.Length; t++) gradient[t] = learning.Gradient[Index * FusionWeights.Terms + t] / learning.Mass[Index];
            FusionWeights = FusionWeights.Step(gradient, learning.Rate);
        }
    }

    /// <summary>
    /// The segment's model for the next snapshot: its top items, each score shrunk toward popularity:
    /// s(i) + τ·pop(i)/Σpop, over its own items and the global top, scaled so the best is 1; and its item neighbours.
    /// </summary>
    public SegmentModel Rank(SegmentRanking ranking)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        return new SegmentModel(SegmentItems.Top(Scores(ranking), ranking.Count), CoVisits.Publish(), FusionWeights);
    }

    /// <summary>
    /// The shrunk scores, computed as they are read (twice, by <see cref="SegmentItems.Top"/>) rather than copied into
    /// a table: a segment holds up to every item, and a copy per segment per fold was a large-object allocation that
    /// drove a gen-2 collection a second.
    /// </summary>
    private IEnumerable<KeyValuePair<int, double>> Scores(SegmentRanking ranking)
    {
        var shrink = ranking.Prior > 0 && ranking.PopularityMass > 0;
        foreach (var (item, s) in _items)
            yield return new(item, shrink ? s + ranking.Prior * ranking.Popularity.GetValueOrDefault(item) / ranking.PopularityMass : s);
        if (!shrink) yield break;
        foreach (var (item, _) in ranking.GlobalTop.Ranked)
            if (!_items.ContainsKey(item)) yield return new(item, ranking.Prior * ranking.Popularity[item] / ranking.PopularityMass);
    }

    /// <summary>The sum of the segment's item scores.</summary>
    internal double Mass() => _items.Values.Sum();

    /// <summary>
    /// Re-seeds this (dying) segment by splitting <paramref name="largest"/> in two: both take its centroid, moved
    /// apart by ±<paramref name="perturbation"/>, and half of its weight, item scores and co-visitations each.
    /// </summary>
    internal void SplitFrom(Segment largest, ReadOnlySpan<float> perturbation)
    {
        var c = largest._centroid;
        for (var i = 0; i < c.Length; i++)
        {
            _centroid[i] = c[i] + perturbation[i];
            c[i] -= perturbation[i];
        }
        largest.Weight /= 2;
        Weight = largest.Weight;
        _items = [];
        foreach (var item in largest._items.Keys.ToList())
        {
            largest._items[item] /= 2;
            _items[item] = largest._items[item];
        }
        CoVisits.SplitFrom(largest.CoVisits);
        FusionWeights = largest.FusionWeights;
    }

    /// <summary>Multiplies the forward-decayed scores by <paramref name="factor"/> (the model moved its epoch).</summary>
    internal void Rebase(double factor)
    {
        foreach (var key in _items.Keys.ToList()) _items[key] *= factor;
        CoVisits.Rebase(factor);
    }

    /// <summary>Restores a saved state (the model's <see cref="GlobalModel.Load"/>).</summary>
    internal void Restore(ReadOnlySpan<float> centroid, double weight)
    {
        centroid.CopyTo(_centroid);
        Weight = weight;
    }
}

/// <summary>What a segment gives a snapshot: its top items, its own item neighbours and its learned fusion weights.</summary>
public sealed class SegmentModel
{
    internal SegmentModel(SegmentItems top, RowTable<(int Item, float Score)[]> neighbors, FusionWeights weights) => (Top, Neighbors, FusionWeights) = (top, neighbors, weights);

    /// <summary>The segment's top items, best first.</summary>
    public SegmentItems Top { get; }

    /// <summary>The segment's learned fusion weights.</summary>
    public FusionWeights FusionWeights { get; }

    /// <summary>Each item's nearest items among the segment's users, best first (null: none yet).</summary>
    internal RowTable<(int Item, float Score)[]> Neighbors { get; }
}

/// <summary>What every segment's fold of one batch shares.</summary>
/// <param name="Decay">The centroids' decay since the model's last batch, a = 2^(−Δt/halfLife).</param>
/// <param name="Scale">The batch's item scores against the model's epoch.</param>
/// <param name="Learning">What the batch's examples teach the segments' fusion weights, or null when it has none.</param>
public readonly record struct SegmentFold(double Decay, double Scale, FusionLearning? Learning = null);

/// <summary>What one batch's examples teach each segment's fusion weights.</summary>
/// <param name="Gradient">Per segment, the membership-weighted sum of the examples' gradients (K rows of <see cref="FusionWeights.Terms"/>).</param>
/// <param name="Mass">Per segment, the sum of the examples' membership weights.</param>
/// <param name="Rate">The learning rate η.</param>
public sealed record FusionLearning(double[] Gradient, double[] Mass, double Rate);

/// <summary>What every segment's ranking of its items shares at one model version.</summary>
/// <param name="Prior">τ: the weight of popularity in each segment's scores.</param>
/// <param name="Popularity">Global decayed popularity (read only while the segments rank).</param>
/// <param name="PopularityMass">Σpop.</param>
/// <param name="GlobalTop">The most popular items, which every segment's ranking considers.</param>
/// <param name="Count">How many items each segment keeps.</param>
public sealed record SegmentRanking(double Prior, IReadOnlyDictionary<int, double> Popularity, double PopularityMass, SegmentItems GlobalTop, int Count);
