using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Storage;

namespace RecoActors.Actors;

/// <summary>
/// A node's shards: on assignment a partition is claimed in the store and its <see cref="ShardActor"/> starts at
/// the stored checkpoint; records go to their partition's actor; a revoked partition is flushed and released; a
/// lost one is dropped unflushed (another node may own it and restarts from the store).
/// </summary>
/// <remarks>
/// Back-pressure reaches Kafka: when a shard's mailbox is full (the node is behind, or the store is down and the
/// shard is retrying) the record is refused and the consumer pauses that partition, resuming from the refused
/// offset once the mailbox has drained to half. Nothing is buffered without limit and nothing is skipped.
/// </remarks>
public sealed class ShardRegion : IShardListener
{
    private static readonly TimeSpan ClaimRetry = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<int, ShardHandle> _shards = new();
    private readonly ConcurrentDictionary<int, bool> _unclaimed = new();
    private long _nextClaim;
    private long _assignments;
    private long _rebalances;
    private readonly RegionOptions _options;
    private readonly IShardStore _store;
    private readonly GlobalModel _model;
    private readonly ItemCatalog _catalog;
    private readonly ActorSystem _system;
    private readonly ResidentBudget _budget;
    private readonly ShardServices _services;
    private readonly ILogger _logger;

    /// <summary>A region for one node; its shard actors run in <paramref name="system"/> and fold through <paramref name="segments"/>.</summary>
    public ShardRegion(RegionOptions options, IShardStore store, GlobalModel model, ItemCatalog catalog, ActorSystem system,
        ActorRef<SegmentMessage> segments, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _store = store;
        _model = model;
        _catalog = catalog;
        _system = system;
        _logger = logger;
        _budget = new ResidentBudget(options.MaxResidentUsers);
        _services = new ShardServices(options, segments, model, logger, Forget);
    }

    /// <summary>This node's id.</summary>
    public string NodeId => _options.NodeId;

    /// <summary>The partitions this node holds now.</summary>
    public IReadOnlyCollection<int> Partitions => [.. _shards.Keys];

    /// <summary>Σ over held partitions of the next offset to read: how far this node has consumed.</summary>
    public long Position => _shards.Values.Sum(s => s.Shard.NextOffset);

    /// <summary>Events applied by this node's shards (not counting ignored redeliveries).</summary>
    public long Applied => _services.Applied;

    /// <summary>The users resident on this node and the limit they are kept within.</summary>
    public ResidentBudget Residents => _budget;

    /// <summary>False while the store is failing (shards are retrying and their partitions pause).</summary>
    public bool StoreAvailable => _services.StoreAvailable;

    /// <inheritdoc />
    public IEnumerable<TopicPartitionOffset> OnAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        Interlocked.Increment(ref _rebalances);
        var start = new List<TopicPartitionOffset>(partitions.Count);
        foreach (var tp in partitions)
        {
            var offset = TryOpen(tp.Partition.Value);
            start.Add(new TopicPartitionOffset(tp, offset is { } o ? new Offset(o) : Offset.Unset));
        }
        Interlocked.Increment(ref _assignments);
        return start;
    }

    /// <inheritdoc />
    public void OnRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        Interlocked.Increment(ref _rebalances);
        var leaving = new List<ShardHandle>();
        foreach (var tp in partitions)
        {
            _unclaimed.TryRemove(tp.Partition.Value, out _);
            if (_shards.TryRemove(tp.Partition.Value, out var handle)) leaving.Add(handle);
        }
        Task.WhenAll(leaving.Select(HandOverAsync)).GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public void OnLost(IReadOnlyList<TopicPartition> partitions)
    {
        Interlocked.Increment(ref _rebalances);
        foreach (var tp in partitions)
        {
            _unclaimed.TryRemove(tp.Partition.Value, out _);
            if (!_shards.TryRemove(tp.Partition.Value, out var handle)) continue;
            _logger.LogWarning("{Node} lost partition {Partition}; changes since its last commit are dropped", NodeId, tp.Partition.Value);
            Stop(handle);
        }
    }

    /// <inheritdoc />
    public bool OnEvent(BehaviourEvent ev, TopicPartitionOffset source) =>
        _shards.TryGetValue(source.Partition.Value, out var handle) && handle.Actor.TryTell(new ShardMessage.Apply(ev, source.Offset.Value));

    /// <inheritdoc />
    public bool OnDeadLetter(DecodeError reason, TopicPartitionOffset source) =>
        _shards.TryGetValue(source.Partition.Value, out var handle) && handle.Actor.TryTell(new ShardMessage.Skip(source.Offset.Value));

    /// <inheritdoc />
    public long? ResumeFrom(TopicPartition partition, long pausedAt)
    {
        var p = partition.Partition.Value;
        if (_shards.TryGetValue(p, out var handle)) return handle.Actor.Backlog <= handle.Actor.Capacity / 2 ? pausedAt : null;
        // Assigned while the store was down: the stored checkpoint, not Kafka's position, is where to start.
        return _unclaimed.ContainsKey(p) ? TryOpen(p) : null;
    }

    /// <summary>A copy of a user's state from the shard that holds it here (loaded from the store if passivated).</summary>
    /// <returns>The state, or null for a user with no events; throws <see cref="KeyNotFoundException"/> if the partition is not on this node.</returns>
    public Task<UserState?> ReadUserAsync(int partition, string userId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!_shards.TryGetValue(partition, out var handle)) throw new KeyNotFoundException($"partition {partition} is not on node {NodeId}");
        return handle.Actor.Ask<UserState?>(reply => new ShardMessage.ReadUser(userId, reply), timeout, cancellationToken);
    }

    /// <summary>The next offset a held partition's shard will read, or null when the partition is not held here.</summary>
    public long? NextOffset(int partition) => _shards.TryGetValue(partition, out var handle) ? handle.Shard.NextOffset : null;

    /// <summary>Whether <paramref name="partition"/> is held (claimed and started) on this node now.</summary>
    public bool Holds(int partition) => _shards.ContainsKey(partition);

    /// <summary>
    /// Ready to serve: the group has assigned this node its share (possibly none) and every assigned partition is
    /// claimed and started from its checkpoint.
    /// </summary>
    public bool Ready => Volatile.Read(ref _assignments) > 0 && _unclaimed.IsEmpty;

    /// <summary>Rebalances seen: assignments plus revocations and losses.</summary>
    public long Rebalances => Interlocked.Read(ref _rebalances);

    /// <summary>Flushes every shard now and waits (a graceful stop also flushes through revocation).</summary>
    public async Task FlushAsync()
    {
        await Task.WhenAll(_shards.Values.Select(FlushAsync)).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims the partition and starts its actor; null (and a retry later) while the store is unavailable. This runs
    /// on the consumer's thread, so after one failure the node waits <see cref="ClaimRetry"/> before trying any
    /// partition again, rather than blocking the poll loop once per partition.
    /// </summary>
    private long? TryOpen(int partition)
    {
        if (Environment.TickCount64 < Volatile.Read(ref _nextClaim))
        {
            _unclaimed[partition] = true;
            return null;
        }
        try
        {
            var generation = _store.ClaimAsync(partition, NodeId, _options.Endpoint).GetAwaiter().GetResult();
            var shard = Shard.OpenAsync(_options.Topic, partition, generation, _store, () => _model.Current, _catalog, _options.CommitEvery,
                _options.CommitInterval, _budget).GetAwaiter().GetResult();
            var handle = new ShardHandle(shard);
            handle.Actor = _system.Spawn($"{NodeId}/shard-{partition}/g{generation}", () => new ShardActor(handle, _services),
                new ActorOptions { MailboxCapacity = _options.MailboxCapacity, MaxAttempts = 3, IdleTimeout = _options.PassivateAfter });
            _shards[partition] = handle;
            _unclaimed.TryRemove(partition, out _);
            _services.StoreIsUp();
            _logger.LogInformation("{Node} owns partition {Partition} (generation {Generation}) from offset {Offset}",
                NodeId, partition, generation, shard.NextOffset);
            return shard.NextOffset;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _services.StoreIsDown(ex, partition);
            _unclaimed[partition] = true;
            Volatile.Write(ref _nextClaim, Environment.TickCount64 + (long)ClaimRetry.TotalMilliseconds);
            return null;
        }
    }

    /// <summary>Flush, stop, release: the next owner starts exactly where this one stopped.</summary>
    private async Task HandOverAsync(ShardHandle handle)
    {
        var partition = handle.Shard.Partition;
        bool flushed;
        try
        {
            flushed = await FlushAsync(handle).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            _logger.LogError("{Node} could not flush partition {Partition} ({Error}); the next owner replays from its last checkpoint",
                NodeId, partition, ex.Message);
            flushed = false;
        }
        Stop(handle);
        try
        {
            await handle.Actor.Stopped.WaitAsync(_options.RevokeTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Let go already: whatever it is still doing can no longer touch the store's view of the partition.
            _logger.LogError("{Node}: the actor of partition {Partition} did not stop within {Timeout}", NodeId, partition, _options.RevokeTimeout);
        }
        if (!flushed) return;
        try
        {
            await _store.ReleaseAsync(partition, handle.Shard.Generation).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning("{Node} could not release partition {Partition}: {Error}", NodeId, partition, ex.Message);
        }
    }

    private Task<bool> FlushAsync(ShardHandle handle) =>
        handle.Actor.Ask<bool>(reply => new ShardMessage.Flush(reply), _options.RevokeTimeout);

    private static void Stop(ShardHandle handle)
    {
        handle.LetGo();
        handle.Actor.Stop();
    }

    private void Forget(ShardHandle handle)
    {
        handle.LetGo();
        ((ICollection<KeyValuePair<int, ShardHandle>>)_shards).Remove(new(handle.Shard.Partition, handle));
    }
}
