namespace RecoActors.Runtime;

/// <summary>
/// A partition's resident users, least recently sent to first: so the partition keeps within its share of the node's
/// limit, picks whom to passivate, and sees who is idle.
/// </summary>
internal sealed class ResidentSet(ResidentBudget budget)
{
    /// <summary>A resident user, linked into the recency order (its own links: a list node each would add 48 bytes per user).</summary>
    private sealed class Entry(string userId, long touchedAt)
    {
        public readonly string UserId = userId;
        public long TouchedAt = touchedAt;
        public Entry? Older, Newer;
    }

    // Least recently sent to first.
    private Entry? _oldest, _newest;
    private readonly Dictionary<string, Entry> _byUser = new(StringComparer.Ordinal);
    private readonly HashSet<string> _starting = new(StringComparer.Ordinal);
    // Users asked to passivate.
    private readonly HashSet<string> _evicting = new(StringComparer.Ordinal);

    private void Link(Entry entry)
    {
        entry.Older = _newest;
        entry.Newer = null;
        if (_newest is null) _oldest = entry;
        else _newest.Newer = entry;
        _newest = entry;
    }

    private void Unlink(Entry entry)
    {
        if (entry.Older is null) _oldest = entry.Newer;
        else entry.Older.Newer = entry.Newer;
        if (entry.Newer is null) _newest = entry.Older;
        else entry.Newer.Older = entry.Older;
        entry.Older = entry.Newer = null;
    }

    /// <summary>Users whose entity has loaded and not stopped.</summary>
    public int Count => _byUser.Count;

    /// <summary>Users sent to whose entity has not loaded yet.</summary>
    public int Starting => _starting.Count;

    /// <summary>Users asked to passivate that have not stopped yet.</summary>
    public int Evicting => _evicting.Count;

    /// <summary>Whether the user is resident or on its way to being so.</summary>
    public bool Holds(string userId) => _byUser.ContainsKey(userId) || _starting.Contains(userId);

    /// <summary>Whether the user was asked to passivate and has not stopped yet.</summary>
    public bool IsEvicting(string userId) => _evicting.Contains(userId);

    /// <summary>A first message goes to a user that is not resident: its entity will load.</summary>
    public void Start(string userId)
    {
        if (_starting.Add(userId)) budget.Reserve();
    }

    /// <summary>The user's entity loaded (it may have been started by a read, not by this partition).</summary>
    /// <returns>False if the user was resident already.</returns>
    public bool Loaded(string userId, long now)
    {
        if (_starting.Remove(userId)) budget.Release();
        if (_byUser.ContainsKey(userId)) return false;
        Link(_byUser[userId] = new Entry(userId, now));
        return true;
    }

    /// <summary>Marks the user as just sent to.</summary>
    public void Touch(string userId, long now)
    {
        if (!_byUser.TryGetValue(userId, out var entry)) return;
        entry.TouchedAt = now;
        if (entry != _newest)
        {
            Unlink(entry);
            Link(entry);
        }
    }

    /// <summary>The user's entity stopped.</summary>
    public void Stopped(string userId)
    {
        if (_byUser.Remove(userId, out var entry)) Unlink(entry);
        _evicting.Remove(userId);
        if (_starting.Remove(userId)) budget.Release();
    }

    /// <summary>Gives back the room held for users still starting (the partition is stopping).</summary>
    public void Clear()
    {
        budget.Release(_starting.Count);
        _starting.Clear();
    }

    /// <summary>Picks <paramref name="count"/> more users to passivate (beyond those already asked), least recently used first.</summary>
    public List<string> Evict(int count, string? except = null)
    {
        var chosen = new List<string>();
        for (var entry = _oldest; entry is not null && chosen.Count < count; entry = entry.Newer)
            if (entry.UserId != except && _evicting.Add(entry.UserId)) chosen.Add(entry.UserId);
        return chosen;
    }

    /// <summary>Picks the users not sent to since <paramref name="before"/> for passivation.</summary>
    public List<string> Idle(long before)
    {
        var chosen = new List<string>();
        for (var entry = _oldest; entry is not null && entry.TouchedAt < before; entry = entry.Newer)
            if (_evicting.Add(entry.UserId)) chosen.Add(entry.UserId);
        return chosen;
    }
}
