using Akka.Actor;

namespace RecoActors.Runtime;

/// <summary>
/// A partition's resident users, least recently sent to first, with their entities' refs: so the partition sends
/// straight to an entity (one hop instead of region → shard → entity), picks whom to passivate, and sees who is idle.
/// </summary>
/// <remarks>
/// A ref is only used while its user is resident and not asked to passivate; a user starting, passivating or
/// unknown is reached through the region, which buffers for it. A message sent straight to an entity that
/// stopped on its own is lost, and the partition's acknowledgement timeout replays it.
/// </remarks>
internal sealed class ResidentSet(ResidentBudget budget)
{
    private sealed class Entry(string userId, IActorRef entity, long touchedAt)
    {
        public readonly string UserId = userId;
        public readonly IActorRef Entity = entity;
        public long TouchedAt = touchedAt;
    }

    private readonly LinkedList<Entry> _recency = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byUser = new(StringComparer.Ordinal);
    private readonly HashSet<string> _starting = new(StringComparer.Ordinal);
    private readonly HashSet<string> _evicting = new(StringComparer.Ordinal);

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
    public bool Loaded(string userId, IActorRef entity, long now)
    {
        if (_starting.Remove(userId)) budget.Release();
        if (_byUser.TryGetValue(userId, out var known))
        {
            if (!Equals(known.Value.Entity, entity))
            {
                // A new incarnation (restarted by the shard after a passivation with messages buffered for it).
                _recency.Remove(known);
                _byUser[userId] = _recency.AddLast(new Entry(userId, entity, now));
                _evicting.Remove(userId);
            }
            return false;
        }
        _byUser[userId] = _recency.AddLast(new Entry(userId, entity, now));
        return true;
    }

    /// <summary>Marks the user as just sent to; returns its entity when a message may go straight to it.</summary>
    public IActorRef? Touch(string userId, long now)
    {
        if (!_byUser.TryGetValue(userId, out var node)) return null;
        node.Value.TouchedAt = now;
        _recency.Remove(node);
        _recency.AddLast(node);
        return _evicting.Contains(userId) ? null : node.Value.Entity;
    }

    /// <summary>The user's entity, if a message may go straight to it.</summary>
    public IActorRef? EntityOf(string userId) =>
        _byUser.TryGetValue(userId, out var node) && !_evicting.Contains(userId) ? node.Value.Entity : null;

    /// <summary>The user's entity stopped.</summary>
    public void Stopped(string userId)
    {
        if (_byUser.Remove(userId, out var node)) _recency.Remove(node);
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
    public List<(string UserId, IActorRef Entity)> Evict(int count, string? except = null)
    {
        var chosen = new List<(string, IActorRef)>();
        for (var node = _recency.First; node is not null && chosen.Count < count; node = node.Next)
            if (node.Value.UserId != except && _evicting.Add(node.Value.UserId)) chosen.Add((node.Value.UserId, node.Value.Entity));
        return chosen;
    }

    /// <summary>Picks the users not sent to since <paramref name="before"/> for passivation.</summary>
    public List<(string UserId, IActorRef Entity)> Idle(long before)
    {
        var chosen = new List<(string, IActorRef)>();
        for (var node = _recency.First; node is not null && node.Value.TouchedAt < before; node = node.Next)
            if (_evicting.Add(node.Value.UserId)) chosen.Add((node.Value.UserId, node.Value.Entity));
        return chosen;
    }

    /// <summary>Forgets which passivations were asked for, so they are asked again (one may have been lost).</summary>
    public void AskAgain() => _evicting.Clear();
}
