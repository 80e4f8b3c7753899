namespace RecoActors.Core;

/// <summary>The most recent distinct items a user interacted with, bounded, oldest forgotten first.</summary>
public sealed class SeenItems
{
    private readonly int[] _ring;
    private readonly HashSet<int> _set;
    private int _next;
    private int _count;

    /// <summary>Creates an empty set that remembers at most <paramref name="capacity"/> items.</summary>
    public SeenItems(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new int[Math.Min(capacity, 1 << 20)];
        _set = [];
    }

    /// <summary>How many items are remembered.</summary>
    public int Count => _count;

    /// <summary>Whether the item is remembered.</summary>
    public bool Contains(int item) => _set.Contains(item);

    /// <summary>Remembers an item; a repeat does not move it (the set is of distinct items, in first-seen order).</summary>
    public void Add(int item)
    {
        if (!_set.Add(item)) return;
        if (_count == _ring.Length) _set.Remove(_ring[_next]);
        else _count++;
        _ring[_next] = item;
        _next = (_next + 1) % _ring.Length;
    }

    /// <summary>The remembered items, oldest first.</summary>
    public IEnumerable<int> Items()
    {
        var start = _count == _ring.Length ? _next : 0;
        for (var i = 0; i < _count; i++) yield return _ring[(start + i) % _ring.Length];
    }
}
