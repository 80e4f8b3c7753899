using System.Diagnostics;
using RecoActors.Core;
using RecoActors.Storage;

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
/// </remarks>
public sealed class Shard
{
    private readonly IShardStore _store;
    private readonly Func<ModelSnapshot> _snapshot;
    private readonly ItemCatalog _catalog;
    private readonly ModelOptions _options;
    private readonly Dictionary<string, Resident> _users = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly float[] _scratch;
    private long _uncommitted;
    private long _oldestUncommitted;

    /// <summary>A user held in memory, with the offset of the last event applied to it.</summary>
    private sealed class Resident(Profile profile, long lastOffset)
    {
        public Profile Profile { get; } = profile;
        public long LastOffset { get; set; } = lastOffset;
    }

    private Shard(string topic, int partition, long generation, long nextOffset, IShardStore store, Func<ModelSnapshot> snapshot,
        ItemCatalog catalog, int commitEvery, TimeSpan commitInterval)
    {
        CommitInterval = commitInterval;
        Topic = topic;
        Partition = partition;
        Generation = generation;
        NextOffset = nextOffset;
        _store = store;
        _snapshot = snapshot;
        _catalog = catalog;
        _options = snapshot().Options;
        CommitEvery = commitEvery;
        Partial = new ModelPartial(_options.Segments, _options.Dimension, snapshot().Epoch);
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
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<Shard> OpenAsync(string topic, int partition, long generation, IShardStore store, Func<ModelSnapshot> snapshot,
        ItemCatalog catalog, int commitEvery = 1_000, TimeSpan? commitInterval = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(commitEvery);
        var next = await store.ReadCheckpointAsync(topic, partition, cancellationToken).ConfigureAwait(false) ?? 0;
        return new Shard(topic, partition, generation, next, store, snapshot, catalog, commitEvery, commitInterval ?? TimeSpan.FromSeconds(1));
    }

    /// <summary>The events topic.</summary>
    public string Topic { get; }

    /// <summary>The partition.</summary>
    public int Partition { get; }

    /// <summary>This owner's generation; commits under an older one are refused by the store.</summary>
    public long Generation { get; }

    /// <summary>The next offset to read: one past the last event applied or skipped.</summary>
    public long NextOffset { get; private set; }

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

    /// <summary>This partition's contribution to the global model since the last fold.</summary>
    public ModelPartial Partial { get; private set; }

    /// <summary>Users in memory.</summary>
    public int ResidentUsers => _users.Count;

    /// <summary>A resident user's profile, or null.</summary>
    public Profile? Profile(string userId) => _users.TryGetValue(userId, out var r) ? r.Profile : null;

    /// <summary>Applies the event at <paramref name="offset"/>; an offset below <see cref="NextOffset"/> was applied already and is ignored.</summary>
    /// <returns>Whether the event was applied.</returns>
    public async ValueTask<bool> ApplyAsync(BehaviourEvent ev, long offset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ev);
        if (offset < NextOffset) return false;
        var user = await LoadAsync(ev.UserId, cancellationToken).ConfigureAwait(false);
        var item = _catalog.GetOrAdd(ev.ItemId);
        ProfileUpdater.Apply(user.Profile, ev.ItemId, item, ev.Type, ev.Value, ev.Timestamp, _snapshot(), Partial, _scratch);
        user.LastOffset = offset;
        _dirty.Add(ev.UserId);
        Advance(offset);
        return true;
    }

    /// <summary>Moves past a record that was not an event (it went to the dead-letter topic).</summary>
    public void Skip(long offset)
    {
        if (offset >= NextOffset) Advance(offset);
    }

    /// <summary>Writes the changed users and <see cref="NextOffset"/> in one transaction.</summary>
    /// <exception cref="FencedException">Another node owns the partition now; this shard must be dropped.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        var records = new List<UserRecord>(_dirty.Count);
        foreach (var id in _dirty)
        {
            var user = _users[id];
            records.Add(new UserRecord(id, Partition, user.LastOffset, ProfileCodec.Encode(user.Profile, i => _catalog[i])));
        }
        await _store.CommitAsync(Topic, Partition, Generation, NextOffset, records, cancellationToken).ConfigureAwait(false);
        _dirty.Clear();
        _uncommitted = 0;
    }

    /// <summary>Hands the partial over for folding and starts a new one against <paramref name="epoch"/>.</summary>
    public ModelPartial TakePartial(long epoch)
    {
        var taken = Partial;
        Partial = new ModelPartial(_options.Segments, _options.Dimension, epoch);
        return taken;
    }

    private void Advance(long offset)
    {
        NextOffset = offset + 1;
        if (_uncommitted++ == 0) _oldestUncommitted = Stopwatch.GetTimestamp();
    }

    private async ValueTask<Resident> LoadAsync(string userId, CancellationToken cancellationToken)
    {
        if (_users.TryGetValue(userId, out var resident)) return resident;
        var record = await _store.ReadUserAsync(userId, cancellationToken).ConfigureAwait(false);
        resident = record is null
            ? new Resident(Core.Profile.For(_options), -1)
            : new Resident(ProfileCodec.Decode(record.Snapshot, _catalog.GetOrAdd, _options), record.LastOffset);
        _users[userId] = resident;
        return resident;
    }
}
