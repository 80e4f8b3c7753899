using System.Runtime.CompilerServices;

namespace RecoActors.Core;

/// <summary>
/// Item neighbours learned from co-visitation: forward-decayed counts of positive pairs (taken within a user's window)
/// and of positives per item, and each item's best neighbours by cosine n(a,b)/√(n(a)·n(b)). The model keeps one over
/// every user; each segment keeps one over its own users (its local item-item model).
/// </summary>
/// <remarks>
/// Re-ranking every touched row made a fold cost the whole matrix, not the batch: a popular item is touched by
/// every batch and pairs with most of the catalogue. A node's fold grew with its age, from milliseconds to
/// seconds (the Core loop fell from 83k to 4.4k events/s over 3.6M events, measured), and its memory with it.
/// Rows are bounded (<see cref="RowPerNeighbour"/>) and a row is ranked again when it has grown by a tenth, so
/// an item's rankings over its life grow with the logarithm of its weight, and a fold costs what it adds. Between
/// rankings an item's neighbours lag its newest tenth and its neighbours' popularity. Measured: the same loop
/// then ran at 29–34k events/s after 3.6M events; on MovieLens HR@10 moved from 0.1182 to 0.1176 (bounded rows
/// alone left it at 0.1182; re-ranking at 3% growth gave 0.1180 for twice the fold cost).
/// </remarks>
internal sealed class CoVisitation
{
    /// <summary>An item's row keeps this many times the neighbours pairs, its best by cosine, once it has twice as many.</summary>
    private const int RowPerNeighbour = 4;

    /// <summary>An item's neighbours are ranked again once its row's weight has grown by this fraction since they were last ranked.</summary>
    private const double RerankGrowth = 0.1;

    private readonly int _neighbours;
    private readonly double _backward;
    private Dictionary<int, CoVisitRow> _rows = [];
    private double[] _positives = [];
    private (int Item, float Score)[][] _ranked = [];
    // Items the table has rows for; the per-item arrays hold more, grown by half at a time (grown to the exact size,
    // every fold that met a new item copied five tables' worth of them).
    private int _size;
    // Per item: its row's weight, and that weight when its neighbours were last ranked.
    private double[] _rowWeight = [], _rankedWeight = [];
    // Scratch for ranking a row, and for the pairs a pruned row keeps.
    private float[] _scores = [];
    private long[] _pairs = [];
    private (int Item, double Together)[] _kept = [];
    // The rows the last snapshot published, and the items whose neighbours changed since: the next snapshot shares the rest.
    private RowTable<(int Item, float Score)[]> _published = RowTable<(int Item, float Score)[]>.Empty;
    private readonly HashSet<int> _changed = [];

    /// <summary>Creates an empty table.</summary>
    /// <param name="neighbours">Neighbours kept per item.</param>
    /// <param name="backward">What a pair counts from the later item back to the earlier one (from the earlier to the later: 1).</param>
    public CoVisitation(int neighbours, double backward) => (_neighbours, _backward) = (neighbours, backward);

    /// <summary>Pairs kept in an item's row.</summary>
    public int RowLength(int item) => _rows.TryGetValue(item, out var row) ? row.Count : 0;

    /// <summary>
    /// Adds a batch's positives and pairs (both directions; of users of <paramref name="segment"/> only, or all for −1),
    /// each amount times <paramref name="scale"/>, and re-ranks the neighbours of the items whose rows have grown by
    /// <see cref="RerankGrowth"/> since they were last ranked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fold(Dictionary<int, double> positives, List<(int Earlier, int Later, double Weight, int Segment)> pairs, int segment, double scale, int catalogSize)
    {
        var size = catalogSize;
        foreach (var (item, _) in positives) size = Math.Max(size, item + 1);
        foreach (var (a, b, _, _) in pairs) size = Math.Max(size, Math.Max(a, b) + 1);
        Grow(size);
        foreach (var (item, s) in positives) _positives[item] += s * scale;
        if (pairs.Count == 0) return;
        var touched = new HashSet<int>();
        foreach (var (a, b, w, k) in pairs)
        {
            if (segment >= 0 && k != segment) continue;
            Add(a, b, w * scale);
            Add(b, a, w * scale * _backward);
            touched.Add(a);
            touched.Add(b);
        }
        var limit = RowPerNeighbour * _neighbours;
        foreach (var a in touched)
        {
            var row = _rows[a];
            if (_ranked[a] is not null && row.Count <= 2 * limit && _rowWeight[a] < (1 + RerankGrowth) * _rankedWeight[a]) continue;
            Rank(a, row, limit);
        }

        void Add(int from, int to, double w)
        {
            if (!_rows.TryGetValue(from, out var row)) _rows[from] = row = new CoVisitRow();
            row.Add(to, w);
            _rowWeight[from] += w;
        }
    }

    private void Grow(int size)
    {
        if (_size >= size) return;
        _size = size;
        if (_ranked.Length >= size) return;
        var capacity = Math.Max(size, _ranked.Length + _ranked.Length / 2);
        Array.Resize(ref _ranked, capacity);
        Array.Resize(ref _positives, capacity);
        Array.Resize(ref _rowWeight, capacity);
        Array.Resize(ref _rankedWeight, capacity);
    }

    /// <summary>Ranks an item's neighbours by cosine; a row over twice its limit keeps only its best <paramref name="limit"/>.</summary>
    /// <remarks>
    /// Ranking rows was half of a fold, and a fold takes a core the requests share. Now pairs become one integer key each
    /// (<see cref="Pairs"/>), the best are selected in linear time and only they are sorted; a heap took a sift per pair
    /// kept and two more to drain it. The order is a <see cref="TopK"/>'s (score, then the lower item), so every row is
    /// the same as before.
    /// </remarks>
    private void Rank(int a, CoVisitRow row, int limit)
    {
        var na = _positives[a];
        if (_scores.Length < row.Count) (_scores, _pairs) = (new float[2 * row.Count], new long[2 * row.Count]);
        var scores = _scores.AsSpan(0, row.Count);
        var items = row.Items;
        var counts = row.Counts;
        var scored = 0;
        // NaN: a pair with no cosine (an item without positive weight), never ranked, first to go.
        for (var i = 0; i < items.Length; i++)
        {
            scores[i] = na > 0 && _positives[items[i]] is var nb and > 0 ? (float)(counts[i] / Math.Sqrt(na * nb)) : float.NaN;
            if (!float.IsNaN(scores[i])) _pairs[scored++] = Pairs.Key(scores[i], items[i]);
        }
        var pairs = _pairs.AsSpan(0, scored);
        // A pruned row's best pairs are at the front already: the ranking selects from those alone.
        if (row.Count > 2 * limit) pairs = Prune(a, row, scores, pairs, limit);
        var kept = Math.Min(_neighbours, pairs.Length);
        Pairs.SelectBest(pairs, kept);
        pairs = pairs[..kept];
        pairs.Sort();
        var ranked = new (int Item, float Score)[kept];
        for (var i = 0; i < kept; i++) ranked[i] = (Pairs.Item(pairs[i]), Pairs.Score(pairs[i]));
        _ranked[a] = ranked;
        _changed.Add(a);
        _rankedWeight[a] = _rowWeight[a];
    }

    /// <summary>Keeps a row's pairs scoring at least its <paramref name="limit"/>-th best, in the order they were in; returns the best <paramref name="limit"/> keys of <paramref name="pairs"/> (moved to its front).</summary>
    private Span<long> Prune(int a, CoVisitRow row, ReadOnlySpan<float> scores, Span<long> pairs, int limit)
    {
        // With fewer scored pairs than the limit every scored pair stays (NaN is the floor, and nothing is below it).
        var floor = float.NaN;
        if (pairs.Length > limit)
        {
            Pairs.SelectBest(pairs, limit);
            floor = Pairs.Score(pairs[limit - 1]);
        }
        if (_kept.Length < row.Count) _kept = new (int, double)[2 * row.Count];
        var kept = 0;
        var items = row.Items;
        var counts = row.Counts;
        for (var i = 0; i < items.Length; i++)
            if (!float.IsNaN(scores[i]) && !(scores[i] < floor)) _kept[kept++] = (items[i], counts[i]);
        // The best pairs go back in the order they were in, into the row's own storage (a new table per pruning was
        // made young and copied by the young generations' collections).
        row.Clear();
        var weight = 0.0;
        foreach (var (b, together) in _kept.AsSpan(0, kept))
        {
            row.Set(b, together);
            weight += together;
        }
        _rowWeight[a] = weight;
        return pairs[..Math.Min(limit, pairs.Length)];
    }

    /// <summary>The neighbour rows for a snapshot: those unchanged since the last one are shared with it.</summary>
    public RowTable<(int Item, float Score)[]> Publish()
    {
        _published = _published.With(Math.Max(_published.Count, _size), _changed, item => _ranked[item]);
        _changed.Clear();
        return _published;
    }

    /// <summary>The next <see cref="Publish"/> makes every row again (they were loaded, or another table's were taken).</summary>
    public void ForgetPublished() => _published = RowTable<(int Item, float Score)[]>.Empty;

    /// <summary>Multiplies every forward-decayed amount by <paramref name="factor"/> (the model moved its epoch).</summary>
    public void Rebase(double factor)
    {
        foreach (var row in _rows.Values) foreach (ref var count in row.Counts) count *= factor;
        for (var i = 0; i < _rowWeight.Length; i++)
        {
            _positives[i] *= factor;
            _rowWeight[i] *= factor;
            _rankedWeight[i] *= factor;
        }
    }

    /// <summary>Takes half of <paramref name="other"/>'s counts, leaving it the other half (a segment split in two); neighbours stay as ranked.</summary>
    public void SplitFrom(CoVisitation other)
    {
        _rows = [];
        foreach (var (item, row) in other._rows)
        {
            foreach (ref var count in row.Counts) count /= 2;
            _rows[item] = row.Copy();
        }
        for (var i = 0; i < other._size; i++)
        {
            other._positives[i] /= 2;
            other._rowWeight[i] /= 2;
            other._rankedWeight[i] /= 2;
        }
        (_positives, _rowWeight, _rankedWeight) = ([.. other._positives], [.. other._rowWeight], [.. other._rankedWeight]);
        _ranked = [.. other._ranked];
        _size = other._size;
        _changed.Clear();
        ForgetPublished();
    }

    /// <summary>Writes every count and ranked row, items as indexes (the model's state names them).</summary>
    public void Save(BinaryWriter w)
    {
        w.Write(_rows.Count);
        foreach (var (item, row) in _rows)
        {
            w.Write(item);
            GlobalModel.WriteScores(w, row);
        }
        w.Write(_size);
        for (var item = 0; item < _size; item++)
        {
            w.Write(_positives[item]);
            w.Write(_rowWeight[item]);
            w.Write(_rankedWeight[item]);
            if (_ranked[item] is not { } neighbours)
            {
                w.Write(-1);
                continue;
            }
            w.Write(neighbours.Length);
            foreach (var (other, score) in neighbours)
            {
                w.Write(other);
                w.Write(score);
            }
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote, each saved item index mapped by <paramref name="item"/>; at least <paramref name="size"/> rows.</summary>
    public void Load(BinaryReader r, Func<int, int> item, int size)
    {
        _rows = [];
        for (var n = r.ReadInt32(); n > 0; n--)
        {
            var row = new CoVisitRow();
            _rows[item(r.ReadInt32())] = row;
            GlobalModel.ReadScores(r, row, item);
        }
        var saved = r.ReadInt32();
        size = Math.Max(size, saved);
        (_positives, _rowWeight, _rankedWeight, _ranked) = (new double[size], new double[size], new double[size], new (int Item, float Score)[size][]);
        _size = size;
        for (var s = 0; s < saved; s++)
        {
            var at = item(s);
            (_positives[at], _rowWeight[at], _rankedWeight[at]) = (r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
            var count = r.ReadInt32();
            if (count < 0) continue;
            var neighbours = new (int Item, float Score)[count];
            for (var i = 0; i < count; i++) neighbours[i] = (item(r.ReadInt32()), r.ReadSingle());
            _ranked[at] = neighbours;
        }
        _changed.Clear();
        ForgetPublished();
    }
}
