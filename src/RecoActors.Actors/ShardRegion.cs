using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Storage;

namespace RecoActors.Actors;

/// <summary>
/// A node's shards, driven by the consumer loop: an assigned partition is claimed in the store and read from its
/// stored checkpoint; events and dead letters go to their partition's shard; a revoked partition is committed and
/// released; a lost one is dropped unflushed (another node may own it; it restarts from the store).
/// </summary>
/// <remarks>
/// The consumer calls in from its one thread, so shards need no locks. A failed commit (store down) keeps the
/// state dirty and is retried on the next event, backing off, with a rate-limited log; a fenced commit means the
/// partition has moved, so the shard is dropped.
/// </remarks>
public sealed class ShardRegion(string nodeId, string endpoint, IShardStore store, GlobalModel model, ItemCatalog catalog,
    string topic, ILogger logger, int commitEvery = 1_000, int foldEvery = 200) : IShardListener
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<int, Shard> _shards = new();
    private long _sinceFold;
    private DateTime _retryAt = DateTime.MinValue;
    private DateTime _loggedAt = DateTime.MinValue;

    /// <summary>The partitions this node holds now.</summary>
    public IReadOnlyCollection<int> Partitions => [.. _shards.Keys];

    /// <summary>Σ over held partitions of the next offset to read: how far this node has consumed.</summary>
    public long Position => _shards.Values.Sum(s => s.NextOffset);

    /// <summary>Events applied by this region (not counting ignored redeliveries).</summary>
    public long Applied { get; private set; }

    /// <inheritdoc />
    public IEnumerable<TopicPartitionOffset> OnAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        var start = new List<TopicPartitionOffset>(partitions.Count);
        foreach (var tp in partitions)
        {
            var p = tp.Partition.Value;
            var generation = store.ClaimAsync(p, nodeId, endpoint).GetAwaiter().GetResult();
            var shard = Shard.OpenAsync(topic, p, generation, store, () => model.Current, catalog, commitEvery).GetAwaiter().GetResult();
            _shards[p] = shard;
            start.Add(new TopicPartitionOffset(tp, new Offset(shard.NextOffset)));
            logger.LogInformation("{Node} owns partition {Partition} (generation {Generation}) from offset {Offset}", nodeId, p, generation, shard.NextOffset);
        }
        return start;
    }

    /// <inheritdoc />
    public void OnRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        // One fold, while every shard is still here, takes in all the partials.
        Fold();
        foreach (var tp in partitions)
        {
            if (!_shards.TryRemove(tp.Partition.Value, out var shard)) continue;
            shard.CommitAsync().GetAwaiter().GetResult();
            store.ReleaseAsync(shard.Partition, shard.Generation).GetAwaiter().GetResult();
        }
    }

    /// <inheritdoc />
    public void OnLost(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var tp in partitions)
            if (_shards.TryRemove(tp.Partition.Value, out var shard))
                logger.LogWarning("{Node} lost partition {Partition}; state since offset of the last commit is dropped", nodeId, shard.Partition);
    }

    /// <inheritdoc />
    public void OnEvent(BehaviourEvent ev, TopicPartitionOffset source)
    {
        var shard = _shards[source.Partition.Value];
        if (shard.ApplyAsync(ev, source.Offset.Value).AsTask().GetAwaiter().GetResult()) Applied++;
        After(shard);
    }

    /// <inheritdoc />
    public void OnDeadLetter(DecodeError reason, TopicPartitionOffset source)
    {
        var shard = _shards[source.Partition.Value];
        shard.Skip(source.Offset.Value);
        After(shard);
    }

    /// <inheritdoc />
    public void OnIdle()
    {
        foreach (var shard in _shards.Values) Commit(shard);
    }

    /// <summary>Commits every shard now (a graceful stop also commits through revocation).</summary>
    public async Task CommitAllAsync()
    {
        foreach (var shard in _shards.Values) await shard.CommitAsync().ConfigureAwait(false);
    }

    private void After(Shard shard)
    {
        if (++_sinceFold >= foldEvery) Fold();
        Commit(shard);
    }

    private void Commit(Shard shard)
    {
        if (!shard.CommitDue || DateTime.UtcNow < _retryAt) return;
        try
        {
            shard.CommitAsync().GetAwaiter().GetResult();
        }
        catch (FencedException ex)
        {
            logger.LogWarning("{Node} dropped partition {Partition}: {Reason}", nodeId, shard.Partition, ex.Message);
            _shards.TryRemove(shard.Partition, out _);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _retryAt = DateTime.UtcNow + RetryAfter;
            if (DateTime.UtcNow - _loggedAt > TimeSpan.FromSeconds(10))
            {
                _loggedAt = DateTime.UtcNow;
                logger.LogError(ex, "{Node} could not commit partition {Partition}; state stays in memory and the commit is retried", nodeId, shard.Partition);
            }
        }
    }

    /// <summary>Folds every shard's partial into this node's global model (cross-node exchange comes with the partial topic).</summary>
    private void Fold()
    {
        _sinceFold = 0;
        var merged = model.NewPartial();
        foreach (var shard in _shards.Values.OrderBy(s => s.Partition)) merged.MergeFrom(shard.TakePartial(model.Current.Epoch), model.Current.Options.ModelHalfLifeMs);
        model.Apply(merged);
    }
}
