namespace RecoActors.Actors;

/// <summary>
/// How many users a node keeps in memory, shared by all its shards. A shard that loads a user while the node is at
/// its limit first passivates its own least recently used user, so the node stays within the limit (plus at most
/// one user per shard whose only resident is the one it just loaded).
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

    /// <summary>An effectively unlimited budget (for tests and the single-stream tools).</summary>
    public static ResidentBudget Unlimited => new(int.MaxValue);

    /// <summary>The most users the node should hold.</summary>
    public int Limit { get; }

    /// <summary>Users resident on the node now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The most users that were resident at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    internal bool Full => Count >= Limit;

    internal void Add()
    {
        var now = Interlocked.Increment(ref _count);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
    }

    internal void Remove(int users) => Interlocked.Add(ref _count, -users);
}
