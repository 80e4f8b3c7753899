namespace RecoActors.Runtime;

/// <summary>
/// How many users a node keeps resident, shared by all its partitions. A partition that gets a new resident while
/// the node is over its limit asks its own least recently used users to passivate, so the node stays near the limit.
/// </summary>
public sealed class ResidentBudget
{
    private int _count;
    private int _starting;
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

    /// <summary>Users that partitions have sent a first message to, whose entities have not loaded yet.</summary>
    public int Starting => Volatile.Read(ref _starting);

    /// <summary>Room for more users: the limit less those resident and those on their way.</summary>
    public int Room => Limit - Count - Starting;

    internal void Reserve() => Interlocked.Increment(ref _starting);

    internal void Release(int users = 1) => Interlocked.Add(ref _starting, -users);

    internal void Add()
    {
        var now = Interlocked.Increment(ref _count);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
    }

    internal void Remove() => Interlocked.Decrement(ref _count);
}
