namespace RecoActors.Core;

/// <summary>A user's last few positive items (item indexes), newest last; a bounded ring.</summary>
public sealed class RecentItems
{
    private readonly int[] _ring;
    private int _next;

    /// <summary>Creates an empty ring of <paramref name="capacity"/> items.</summary>
    public RecentItems(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new int[capacity];
    }

    private RecentItems(RecentItems source)
    {
        _ring = (int[])source._ring.Clone();
        _next = source._next;
        Count = source.Count;
    }

    /// <summary>A copy holding the same items in the same order.</summary>
    public RecentItems Clone() => new(this);

    /// <summary>The most items held.</summary>
    public int Capacity => _ring.Length;

    /// <summary>How many items are held.</summary>
    public int Count { get; private set; }

    /// <summary>The i-th newest item (0 = newest).</summary>
    public int Newest(int i) => _ring[(_next - 1 - i + _ring.Length) % _ring.Length];

    /// <summary>The items, oldest first.</summary>
    public IEnumerable<int> Oldest()
    {
        for (var i = Count - 1; i >= 0; i--) yield return Newest(i);
    }

    /// <summary>Adds an item, forgetting the oldest when full.</summary>
    public void Push(int item)
    {
        _ring[_next] = item;
        _next = (_next + 1) % _ring.Length;
        if (Count < _ring.Length) Count++;
    }
}
