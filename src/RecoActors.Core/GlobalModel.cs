using System.Runtime.CompilerServices;

namespace RecoActors.Core;

/// <summary>
/// The cumulative global model: folds batches of merged partials in and publishes a <see cref="ModelSnapshot"/>
/// after each. Every node folds the same partials in the same way and so holds the same snapshot.
/// </summary>
/// <remarks>
/// Centroids follow Spark MLlib's StreamingKMeans with a half-life: per batch, a = 2^(−Δt/halfLife),
/// n' = n·a + m, c ← c + (m/n')(x̄ − c). A segment whose weight falls below <see cref="ModelOptions.DeadSegmentFraction"/>
/// of the heaviest is re-seeded by splitting the heaviest in two.
/// </remarks>
public sealed partial class GlobalModel
{
    /// <summary>Forward-decayed values are rebased once they grow past 2^this, well inside float range.</summary>
    private const int RebaseHalfLives = 48;

    private readonly ModelOptions _options;
    private readonly int _k, _d;
    private readonly Segment[] _segments;
    // The centroids before the fold under way (for its drift), and the segments it re-seeded.
    private readonly float[] _before;
    private int[] _reseeded = [];
    private readonly Dictionary<int, double> _popularity = [];
    private readonly List<float[]?> _collaborative = [];
    private readonly List<float[]?> _content = [];
    private readonly ItemCatalog _catalog;
    private readonly CoVisitation _coVisits;
    // The rows the last snapshot published, and the items whose rows changed since: the next snapshot shares the rest.
    private RowTable<float[]> _keys = RowTable<float[]>.Empty;
    private QuantizedRows _quantized;
    private readonly HashSet<int> _changedKeys = [];
    private readonly float[] _keyScratch;
    private long _epoch = long.MinValue;
    private long _time = long.MinValue;
    private long _version;

    private readonly ITextEmbedder? _text;

    /// <summary>Creates a model with seeded centroids and nothing learned.</summary>
    /// <param name="options">The model's options.</param>
    /// <param name="catalog">The item indexes its rows are kept by.</param>
    /// <param name="text">Embeds the tags users write (<see cref="EventType.Tag"/>); without it a tag counts as its item.</param>
    public GlobalModel(ModelOptions options, ItemCatalog catalog, ITextEmbedder? text = null)
    {
        _options = options.Validate();
        if (text is not null && text.Dimension != options.Dimension)
            throw new ArgumentException($"the text embedder gives {text.Dimension} dimensions; the model has {options.Dimension}", nameof(text));
        _text = text;
        _catalog = catalog;
        _k = options.Segments;
        _d = options.Dimension;
        _segments = new Segment[_k];
        _before = new float[_k * _d];
        _keyScratch = new float[_d];
        _quantized = QuantizedRows.Empty(_d);
        _coVisits = new CoVisitation(options.CoVisitNeighbors, options.CoVisitBackward);
        var random = new Random(options.Seed);
        for (var k = 0; k < _k; k++)
        {
            var c = new float[_d];
            for (var i = 0; i < _d; i++) c[i] = (float)(random.NextDouble() * 2 - 1);
            Vectors.Normalize(c, c);
            _segments[k] = new Segment(c, options) { Index = k };
        }
        Current = Publish([.. _segments.Select(segment => new SegmentModel(SegmentItems.Empty, segment.CoVisits.Publish(), segment.FusionWeights))], new double[_k], []);
    }

    private volatile ModelSnapshot _current = null!;

    /// <summary>The item indexes this model's rows are kept by.</summary>
    public ItemCatalog Catalog => _catalog;

    /// <summary>The latest snapshot; safe to read from any thread (one actor folds, everyone reads).</summary>
    public ModelSnapshot Current { get => _current; private set => _current = value; }

    /// <summary>
    /// Sets an item's content vector (built-in text hashing or supplied from outside); it need not be unit.
    /// Configuration: set content before events flow, since it shapes the query vectors profiles are built from.
    /// </summary>
    public void SetContent(int item, ReadOnlySpan<float> vector)
    {
        if (vector.Length != _d) throw new ArgumentException($"vector has {vector.Length} dimensions; the model has {_d}", nameof(vector));
        while (_content.Count <= item) _content.Add(null);
        var unit = new float[_d];
        _content[item] = Vectors.Normalize(vector, unit) ? unit : null;
        _changedKeys.Add(item);
    }

    /// <summary>A new, empty partial against the current snapshot.</summary>
    public ModelPartial NewPartial() => new(_k, _d, Current.Epoch);

    /// <summary>The model's segments, in order: a node folds and ranks each in its own actor (see <see cref="Apply"/>).</summary>
    public IReadOnlyList<Segment> Segments => _segments;

    /// <summary>Folds in one batch (the sum of every stream's partial for it) and publishes the next snapshot.</summary>
    /// <remarks>
    /// A fold in steps: <see cref="BeginFold"/> (what the segments share), each segment's <see cref="Segment.Fold"/>,
    /// <see cref="SettleFold"/> (re-seeding, time, version), each segment's <see cref="Segment.Rank"/>, and
    /// <see cref="PublishFold"/>. This runs them in turn on one thread; a node runs the segments' steps in their
    /// actors. Between its steps the model touches no segment's state and a segment touches only its own.
    /// </remarks>
    public ModelSnapshot Apply(ModelPartial merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        if (BeginFold(merged) is not { } fold) return Current;
        foreach (var segment in _segments) segment.Fold(fold, merged);
        var ranking = SettleFold(merged);
        return PublishFold([.. _segments.Select(segment => segment.Rank(ranking))]);
    }

    /// <summary>
    /// A fold's first step: folds what the segments share (popularity, collaborative vectors, co-visitation) and
    /// returns what each segment's <see cref="Segment.Fold"/> needs; null for an empty batch (nothing to fold).
    /// </summary>
    // A node folds a few times a second, each fold a long loop: too few calls for tiered compilation to reach its
    // optimized code, so a fold ran unoptimized (tier 0) for a node's first minutes. Hence AggressiveOptimization here.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SegmentFold? BeginFold(ModelPartial merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        if (merged.IsEmpty) return null;
        var h = _options.ModelHalfLifeMs;
        if (_epoch == long.MinValue) _epoch = merged.Epoch == long.MinValue ? merged.MaxTimestamp : merged.Epoch;
        var scale = merged.Epoch == long.MinValue ? 1.0 : double.Exp2((double)(merged.Epoch - _epoch) / h);
        var decay = _time == long.MinValue ? 1.0 : Decay.Factor(merged.MaxTimestamp - _time, h);
        for (var k = 0; k < _k; k++) _segments[k].Centroid.CopyTo(_before.AsSpan(k * _d, _d));
        foreach (var (item, s) in merged.Popularity) _popularity[item] = _popularity.GetValueOrDefault(item) + s * scale;
        foreach (var (item, v) in merged.Collaborative)
        {
            while (_collaborative.Count <= item) _collaborative.Add(null);
            var c = _collaborative[item] ??= new float[_d];
            Vectors.AddScaled(c, v, (float)scale);
            _changedKeys.Add(item);
        }
        var learning = Fusion.Learn(Current, merged.Examples);
        _coVisits.Fold(merged.Positives, merged.CoVisits, -1, scale, _catalog.Count);
        return new SegmentFold(decay, scale, learning);
    }

    /// <summary>
    /// The step after every segment folded: re-seeds dying segments, moves the model's time (and its epoch when
    /// forward-decayed values grow large), and returns what each segment's <see cref="Segment.Rank"/> needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SegmentRanking SettleFold(ModelPartial merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var h = _options.ModelHalfLifeMs;
        _reseeded = ReseedDeadSegments();
        _time = Math.Max(_time, merged.MaxTimestamp);
        if ((_time - _epoch) / h > RebaseHalfLives) Rebase(_time);
        _version++;
        return Ranking();
    }

    private SegmentRanking Ranking()
    {
        var popularityMass = _popularity.Values.Sum();
        var segmentMasses = _segments.Select(segment => segment.Mass()).ToArray();
        var prior = _options.SegmentPrior * segmentMasses.Sum() / _k;
        return new SegmentRanking(prior, _popularity, popularityMass, SegmentItems.Top(_popularity, _options.SegmentTopItems), _options.SegmentTopItems);
    }

    /// <summary>The fold's last step: publishes the next snapshot with every segment's model (<paramref name="tops"/>, by segment).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ModelSnapshot PublishFold(SegmentModel[] tops)
    {
        ArgumentNullException.ThrowIfNull(tops);
        if (tops.Length != _k) throw new ArgumentException($"{tops.Length} segments' items for a model of {_k}", nameof(tops));
        return Current = Publish(tops, Drift(), _reseeded);
    }

    /// <summary>Pairs kept in an item's co-visitation row (bounded: see <see cref="CoVisitation"/>).</summary>
    internal int CoVisitRowLength(int item) => _coVisits.RowLength(item);

    /// <summary>Re-seeds each segment whose weight fell below its share of the heaviest by splitting the heaviest; returns those re-seeded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int[] ReseedDeadSegments()
    {
        var random = new Random((int)StableHash.Mix((ulong)(uint)_options.Seed ^ (ulong)_version));
        List<int>? reseeded = null;
        var perturbation = new float[_d];
        for (var k = 0; k < _k; k++)
        {
            var largest = 0;
            for (var j = 1; j < _k; j++) if (_segments[j].Weight > _segments[largest].Weight) largest = j;
            if (_segments[largest].Weight <= 0 || _segments[k].Weight >= _options.DeadSegmentFraction * _segments[largest].Weight) continue;
            for (var i = 0; i < _d; i++) perturbation[i] = (float)((random.NextDouble() * 2 - 1) * 0.05);
            _segments[k].SplitFrom(_segments[largest], perturbation);
            (reseeded ??= []).Add(k);
        }
        return reseeded is null ? [] : [.. reseeded];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Rebase(long time)
    {
        var shift = (time - _epoch) / _options.ModelHalfLifeMs * _options.ModelHalfLifeMs;
        var factor = double.Exp2(-(double)shift / _options.ModelHalfLifeMs);
        _epoch += shift;
        foreach (var segment in _segments) segment.Rebase(factor);
        foreach (var key in _popularity.Keys.ToList()) _popularity[key] *= factor;
        foreach (var c in _collaborative) if (c is not null) Vectors.Scale(c, (float)factor);
        // Every collaborative vector changed in its last bits: every key row is made again.
        ForgetPublishedRows();
        _coVisits.Rebase(factor);
    }

    /// <summary>How far each centroid moved in the fold under way (Euclidean).</summary>
    private double[] Drift()
    {
        var drift = new double[_k];
        for (var k = 0; k < _k; k++)
        {
            var now = _segments[k].Centroid;
            var then = _before.AsSpan(k * _d, _d);
            var sum = 0.0;
            for (var i = 0; i < _d; i++) sum += (double)(now[i] - then[i]) * (now[i] - then[i]);
            drift[k] = Math.Sqrt(sum);
        }
        return drift;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ModelSnapshot Publish(SegmentModel[] tops, double[] drift, int[] reseeded)
    {
        // Shards add items to the catalog while this runs: take the ids once, so the snapshot's ids and vector rows agree.
        var ids = _catalog.Snapshot();
        var n = ids.Length;
        _keys = _keys.With(n, _changedKeys, KeyRow);
        _quantized = _quantized.With(n, _changedKeys, _keys);
        var neighbors = _coVisits.Publish();
        // Rows of items past the ids taken stay changed: the next snapshot makes them.
        _changedKeys.RemoveWhere(item => item < n);
        var centroids = new float[_k * _d];
        for (var k = 0; k < _k; k++) _segments[k].Centroid.CopyTo(centroids.AsSpan(k * _d, _d));
        var popular = SegmentItems.Top(_popularity, Math.Max(1000, _options.SegmentTopItems));
        return new ModelSnapshot(_options, _version, _epoch == long.MinValue ? long.MinValue : _epoch, _time,
            centroids, [.. _segments.Select(segment => segment.Weight)], drift, reseeded, tops, popular, _keys, _quantized, ids, neighbors, _content, _text);
    }

    /// <summary>
    /// An item's unit key vector: its collaborative vector (normalised) blended with its content vector, or null with
    /// neither. Made once per change of either; the snapshots between share it.
    /// </summary>
    private float[]? KeyRow(int item)
    {
        var content = item < _content.Count ? _content[item] : null;
        var collab = item < _collaborative.Count && _collaborative[item] is { } c && Vectors.Normalize(c, _keyScratch) ? _keyScratch : null;
        if (content is null && collab is null) return null;
        var row = new float[_d];
        if (content is null) collab!.CopyTo(row);
        else if (collab is null) content.CopyTo(row);
        else
        {
            var share = _options.CollaborativeShare;
            Vectors.AddScaled(row, collab, share);
            Vectors.AddScaled(row, content, 1 - share);
            Vectors.Normalize(row, row);
        }
        return row;
    }

    /// <summary>The next snapshot makes every row again (its inputs all changed, or were loaded).</summary>
    private void ForgetPublishedRows()
    {
        _keys = RowTable<float[]>.Empty;
        _quantized = QuantizedRows.Empty(_d);
        _coVisits.ForgetPublished();
    }
}
