namespace RecoActors.Core;

/// <summary>
/// One item's co-visitation counts (the other item → its decayed count), in the order the pairs were first counted, as a
/// <see cref="Dictionary{TKey, TValue}"/> without removals enumerates them (so sums over a row, and the model, are the
/// same bits as with one).
/// </summary>
/// <remarks>
/// A model's rows live for minutes to hours and grow for most of it. As dictionaries, each growth was a new table of
/// buckets and entries; here a row is four arrays that grow by doubling, and a pruned row keeps its storage.
/// </remarks>
internal sealed class CoVisitRow
{
    private int[] _items = new int[4];
    private double[] _counts = new double[4];
    // Per pair, the next in its bucket's chain (−1: none); per bucket, its first pair (−1: none).
    private int[] _next = new int[4];
    private int[] _buckets = [-1, -1, -1, -1];

    /// <summary>Pairs in the row.</summary>
    public int Count { get; private set; }

    /// <summary>The other items, in the order they were first counted.</summary>
    public ReadOnlySpan<int> Items => _items.AsSpan(0, Count);

    /// <summary>Their counts, in the same order as <see cref="Items"/>.</summary>
    public Span<double> Counts => _counts.AsSpan(0, Count);

    /// <summary>Adds <paramref name="amount"/> to the pair with <paramref name="item"/> (counted from zero if new).</summary>
    public void Add(int item, double amount)
    {
        var at = Find(item);
        if (at >= 0) _counts[at] += amount;
        else Append(item, amount);
    }

    /// <summary>Sets the pair with <paramref name="item"/> to <paramref name="count"/>.</summary>
    public void Set(int item, double count)
    {
        var at = Find(item);
        if (at >= 0) _counts[at] = count;
        else Append(item, count);
    }

    /// <summary>Forgets every pair and keeps the storage (a pruned row is filled again).</summary>
    public void Clear()
    {
        Count = 0;
        Array.Fill(_buckets, -1);
    }

    /// <summary>A copy, with storage of its own.</summary>
    public CoVisitRow Copy()
    {
        var copy = new CoVisitRow();
        copy.Resize(Math.Max(4, Count));
        for (var i = 0; i < Count; i++) copy.Append(_items[i], _counts[i]);
        return copy;
    }

    private int Find(int item)
    {
        for (var at = _buckets[item & (_buckets.Length - 1)]; at >= 0; at = _next[at])
            if (_items[at] == item) return at;
        return -1;
    }

    private void Append(int item, double count)
    {
        if (Count == _items.Length) Resize(2 * Count);
        var at = Count++;
        (_items[at], _counts[at]) = (item, count);
        ref var bucket = ref _buckets[item & (_buckets.Length - 1)];
        _next[at] = bucket;
        bucket = at;
    }

    /// <summary>Room for <paramref name="capacity"/> pairs (a power of two), the chains rebuilt.</summary>
    private void Resize(int capacity)
    {
        capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        var items = GC.AllocateUninitializedArray<int>(capacity);
        var counts = GC.AllocateUninitializedArray<double>(capacity);
        _items.AsSpan(0, Count).CopyTo(items);
        _counts.AsSpan(0, Count).CopyTo(counts);
        (_items, _counts, _next, _buckets) = (items, counts, GC.AllocateUninitializedArray<int>(capacity), GC.AllocateUninitializedArray<int>(capacity));
        Array.Fill(_buckets, -1);
        for (var at = 0; at < Count; at++)
        {
            ref var bucket = ref _buckets[_items[at] & (capacity - 1)];
            _next[at] = bucket;
            bucket = at;
        }
    }
}
