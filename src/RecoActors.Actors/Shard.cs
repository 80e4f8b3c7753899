using RecoActors.Core;
using RecoActors.Storage;
using System.Diagnostics;

namespace RecoActors.Actors;

/// <summary>
/// One Kafka partition's worth of users on this node: applies the partition's events in offset order to lazily
/// loaded profiles, and commits the changed users together with the partition's position.
/// </summary>
/// <remarks>
/// Exactly once comes from three rules. Events are applied in offset order. <see cref="CommitAsync"/> writes the
/// dirty users and the next offset to read in one transaction, under this owner's generation, so a zombie cannot
/// write. A new owner starts at the stored position and reloads users from the store. Whatever happened after the
/// last commit is simply done again, from the same inputs, to the same bits. Commit order (as Kafka Streams
/// documents it): flush state and position together to the store; Kafka offsets follow, for monitoring only.
/// <para>
/// Users are entities inside the shard rather than actors of their own: the partition already orders their
/// events, so a mailbox per user would add a hop and a kilobyte per user and buy nothing. Passivation is LRU under
/// the node's <see cref="ResidentBudget"/>; a dirty user is only evicted after a commit, so a reload from the store
/// always sees every event applied so far.
/// </para>
/// Not thread-safe: one <see cref="ShardActor"/> (or one test) drives it.
/// </remarks>
public sealed class Shard
{
    private readonly IShardStore _store;
    private readonly Func<ModelSnapshot> _snapshot;
    private readonly ItemCatalog _catalog;
    private readonly ModelOptions _options;
    private readonly ResidentBudget _budget;
    private readonly Dictionary<string, LinkedListNode<Resident>> _users = new(StringComparer.Ordinal);
    private readonly LinkedList<Resident> _recency = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly float[] _scratch;
    private long _nextOffset;
    private long _uncommitted;
    private long _oldestUncommitted;

    /// <summary>A user held in memory, with the offset of the last event applied to it.</summary>
    private sealed class Resident(string userId, Profile profile, long lastOffset)
    {
        public string UserId { get; } = userId;
        public Profile Profile { get; } = profile;
        public long LastOffset { get; set; } = lastOffset;
    }

    private Shard(string topic, int partition, long generation, long nextOffset, IShardStore store, Func<ModelSnapshot> snapshot,
        ItemCatalog catalog, int commitEvery, TimeSpan commitInterval, ResidentBudget budget)
    {
        CommitInterval = commitInterval;
        Topic = topic;
        Partition = partition;
        Generation = generation;
        _nextOffset = nextOffset;
        _store = store;
        _snapshot = snapshot;
        _catalog = catalog;
        _budget = budget;
        _options = snapshot().Options;
        CommitEvery = commitEvery;
        _scratch = new float[2 * _options.Dimension];
    }

    /// <summary>Takes a partition over: reads its stored position. Users load lazily, on their first event.</summary>
    /// <param name="topic">The events topic.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="generation">This node's ownership generation (from <see cref="IShardStore.ClaimAsync"/>).</param>
    /// <param name="store">Where state lives.</param>
    /// <param name="snapshot">The current global model (read on every event).</param>
    /// <param name="catalog">This node's item indexes.</param>
    /// <param name="commitEvery">Commit after this many events.</param>
    /// <param name="commitInterval">Commit once the oldest uncommitted change is this old (default 1 s).</param>
    /// <param name="budget">The node's resident-user budget; unlimited if null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<Shard> OpenAsync(string topic, int partition, long generation, IShardStore store, Func<ModelSnapshot> snapshot,
        ItemCatalog catalog, int commitEvery = 1_000, TimeSpan? commitInterval = null, ResidentBudget? budget = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(commitEvery);
        var next = await store.ReadCheckpointAsync(topic, partition, cancellationToken).ConfigureAwait(false) ?? 0;
        return new Shard(topic, partition, generation, next, store, snapshot, catalog, commitEvery, commitInterval ?? TimeSpan.FromSeconds(1),
            budget ?? ResidentBudget.Unlimited);
    }

    /// <summary>The events topic.</summary>
    public string Topic { get; }

    /// <summary>The partition.</summary>
    public int Partition { get; }

    /// <summary>This owner's generation; commits under an older one are refused by the store.</summary>
    public long Generation { get; }

    /// <summary>The next offset to read: one past the last event applied or skipped. Safe to read from any thread.</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>Events per commit.</summary>
    public int CommitEvery { get; }

    /// <summary>Longest an applied event waits for its commit while traffic flows or idles.</summary>
    public TimeSpan CommitInterval { get; }

    /// <summary>
    /// Whether a commit is due: <see cref="CommitEvery"/> events since the last one, or the oldest uncommitted change
    /// older than <see cref="CommitInterval"/>. Committing is the caller's step, so a store outage shows up as a
    /// failed commit (retried), never as a failed event.
    /// </summary>
    public bool CommitDue => _uncommitted >= CommitEvery
        || (_uncommitted > 0 && Stopwatch.GetElapsedTime(_oldestUncommitted) >= CommitInterval);

    /// <summary>Records applied or skipped since the last commit.</summary>
    public long Uncommitted => _uncommitted;

    private ModelPartial? _partial;

    /// <summary>Events in this partition's contribution to the global model since it was last taken.</summary>
    public long PartialEvents => _partial?.Events ?? 0;

    /// <summary>Users in memory.</summary>
    public int ResidentUsers => _users.Count;

    /// <summary>A resident user's profile, or null.</summary>
    public Profile? Profile(string userId) => _users.TryGetValue(userId, out var r) ? r.Value.Profile : null;

    /// <summary>A copy of a user's state: the resident one, else the stored one (not made resident); null if unknown.</summary>
    public async ValueTask<UserState?> ReadUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        if (_users.TryGetValue(userId, out var node)) return new UserState(node.Value.Profile.Clone(), node.Value.LastOffset);
        return await UserState.ReadCommittedAsync(_store, userId, _catalog, _options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies the event at <paramref name="offset"/>; an offset below <see cref="NextOffset"/> was applied already and is ignored.</summary>
    /// <returns>Whether the event was applied.</returns>
    /// <remarks>A store failure (loading the user, or committing to make room) leaves the shard unchanged: retry the same call.</remarks>
    public async ValueTask<bool> ApplyAsync(BehaviourEvent ev, long offset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ev);
        if (offset < _nextOffset) return false;
        var user = await LoadAsync(ev.UserId, cancellationToken).ConfigureAwait(false);
        var item = _catalog.GetOrAdd(ev.ItemId);
        var snapshot = _snapshot();
        // Started at the first event after a take, against the snapshot current then, like the single-stream loop's.
        _partial ??= new ModelPartial(_options.Segments, _options.Dimension, snapshot.Epoch);
        ProfileUpdater.Apply(user.Profile, ev.ItemId, item, ev.Type, ev.Value, ev.Timestamp, snapshot, _partial, _scratch);
        user.LastOffset = offset;
        _dirty.Add(ev.UserId);
        Advance(offset);
        return true;
    }

    /// <summary>Moves past a record that was not an event (it went to the dead-letter topic).</summary>
    public void Skip(long offset)
    {
        if (offset >= _nextOffset) Advance(offset);
    }

    /// <summary>Writes the changed users and <see cref="NextOffset"/> in one transaction.</summary>
    /// <exception cref="FencedException">Another node owns the partition now; this shard must be dropped.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        var records = new List<UserRecord>(_dirty.Count);
        foreach (var id in _dirty)
        {
            var user = _users[id].Value;
            records.Add(new UserRecord(id, Partition, user.LastOffset, ProfileCodec.Encode(user.Profile, i => _catalog[i])));
        }
        await _store.CommitAsync(Topic, Partition, Generation, _nextOffset, records, cancellationToken).ConfigureAwait(false);
        _dirty.Clear();
        _uncommitted = 0;
    }

    /// <summary>Drops every resident user that is committed (a quiet shard gives its memory back).</summary>
    /// <returns>How many users were passivated.</returns>
    public int Passivate()
    {
        var evicted = 0;
        for (var node = _recency.First; node is not null;)
        {
            var next = node.Next;
            if (!_dirty.Contains(node.Value.UserId))
            {
                Evict(node);
                evicted++;
            }
            node = next;
        }
        return evicted;
    }

    /// <summary>Lets go of every resident user (the shard is leaving the node).</summary>
    public void Release()
    {
        _budget.Remove(_users.Count);
        _users.Clear();
        _recency.Clear();
        _dirty.Clear();
    }

    /// <summary>Hands the partial over for folding; null if there were no events since the last take.</summary>
    public ModelPartial? TakePartial()
    {
        var taken = _partial;
        _partial = null;
        return taken;
    }

    private void Advance(long offset)
    {
        Volatile.Write(ref _nextOffset, offset + 1);
        if (_uncommitted++ == 0) _oldestUncommitted = Stopwatch.GetTimestamp();
    }

    private async ValueTask<Resident> LoadAsync(string userId, CancellationToken cancellationToken)
    {
        if (_users.TryGetValue(userId, out var node))
        {
            _recency.Remove(node);
            _recency.AddLast(node);
            return node.Value;
        }
        await MakeRoomAsync(cancellationToken).ConfigureAwait(false);
        var record = await _store.ReadUserAsync(userId, cancellationToken).ConfigureAwait(false);
        var resident = record is null
            ? new Resident(userId, Core.Profile.For(_options), -1)
            : new Resident(userId, ProfileCodec.Decode(record.Snapshot, _catalog.GetOrAdd, _options), record.LastOffset);
        _users[userId] = _recency.AddLast(resident);
        _budget.Add();
        return resident;
    }

    /// <summary>At the node's limit, passivates this shard's least recently used user, committing first if it is dirty.</summary>
    private async ValueTask MakeRoomAsync(CancellationToken cancellationToken)
    {
        if (!_budget.Full || _recency.First is not { } victim) return;
        if (_dirty.Contains(victim.Value.UserId)) await CommitAsync(cancellationToken).ConfigureAwait(false);
        Evict(victim);
    }

    private void Evict(LinkedListNode<Resident> node)
    {
        _recency.Remove(node);
        _users.Remove(node.Value.UserId);
        _budget.Remove(1);
    }
}
