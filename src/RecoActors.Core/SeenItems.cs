namespace RecoActors.Core;

/// <summary>The most recent distinct items a user interacted with, bounded, oldest forgotten first.</summary>
/// <remarks>
/// Memory matters here, one per resident user: the ring grows on demand up to its capacity, and a hash set is
/// built only past <see cref="HashFrom"/> items (below that a vectorised scan of the ring is as fast).
/// </remarks>
public sealed class SeenItems
{
    private const int HashFrom = 32;
    private readonly int _capacity;
    private int[] _ring = new int[4];
    private HashSet<int>? _set;
    private int _next;
    private int _count;

    /// <summary>Creates an empty set that remembers at most <paramref name="capacity"/> items.</summary>
    public SeenItems(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = Math.Min(capacity, 1 << 20);
    }

    private SeenItems(SeenItems source)
    {
        _capacity = source._capacity;
        _ring = (int[])source._ring.Clone();
        _set = source._set is null ? null : new HashSet<int>(source._set);
        (_next, _count) = (source._next, source._count);
    }

    /// <summary>A copy that remembers the same items in the same order.</summary>
    public SeenItems Clone() => new(this);

    /// <summary>The most items remembered.</summary>
    public int Capacity => _capacity;

    /// <summary>How many items are remembered.</summary>
    public int Count => _count;

    /// <summary>Whether the item is remembered.</summary>
    public bool Contains(int item) => _set?.Contains(item) ?? _ring.AsSpan(0, _count).Contains(item);

    /// <summary>The remembered items, in no particular order.</summary>
    public ReadOnlySpan<int> Unordered => _ring.AsSpan(0, _count);

    /// <summary>Remembers an item; a repeat does not move it (the set is of distinct items, in first-seen order).</summary>
    public void Add(int item)
    {
        if (Contains(item)) return;
        if (_count == _capacity)
        {
            // Full: overwrite the oldest.
            _set?.Remove(_ring[_next]);
            _ring[_next] = item;
            _next = (_next + 1) % _capacity;
        }
        else
        {
            // Not yet full, so the ring is in order from index 0 and _next == _count.
            if (_count == _ring.Length) Array.Resize(ref _ring, Math.Min(_capacity, _ring.Length * 2));
            _ring[_count++] = item;
            _next = _count % _capacity;
            if (_set is null && _count > HashFrom) _set = [.. _ring.AsSpan(0, _count)];
        }
        _set?.Add(item);
    }

    /// <summary>Copies the newest remembered items into <paramref name="destination"/>, newest first, as many as fit; returns how many.</summary>
    public int CopyNewest(Span<int> destination)
    {
        var n = Math.Min(destination.Length, _count);
        var last = _count == _capacity ? _next - 1 : _count - 1;
        for (var i = 0; i < n; i++) destination[i] = _ring[((last - i) % _capacity + _capacity) % _capacity];
        return n;
    }

    /// <summary>The remembered items, oldest first.</summary>
    public IEnumerable<int> Items()
    {
        var start = _count == _capacity ? _next : 0;
        for (var i = 0; i < _count; i++) yield return _ring[(start + i) % _capacity];
    }
}
