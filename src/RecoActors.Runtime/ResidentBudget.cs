namespace RecoActors.Runtime;

/// <summary>
/// How many users a node keeps resident, shared by all its partitions. A partition that gets a new resident while
/// the node is over its limit asks its own least recently used users to passivate, so the node stays near the limit.
/// </summary>
public sealed class ResidentBudget
{
    private int _count;
    private int _peak;

    /// <summary>A budget of <paramref name="limit"/> resident users per node.</summary>
    public ResidentBudget(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        Limit = limit;
    }

    /// <summary>The most users the node should hold.</summary>
    public int Limit { get; }

    /// <summary>Users resident on the node now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The most users that were resident at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>How many users are resident beyond the limit.</summary>
    public int Over => Math.Max(0, Count - Limit);

    internal void Add()
    {
        var now = Interlocked.Increment(ref _count);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
    }

    internal void Remove() => Interlocked.Decrement(ref _count);
}
