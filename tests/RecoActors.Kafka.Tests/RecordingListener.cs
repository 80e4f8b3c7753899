using System.Collections.Concurrent;
using Confluent.Kafka;
using RecoActors.Core;

namespace RecoActors.Kafka.Tests;

/// <summary>
/// A stand-in shard layer: records what it is told and keeps a checkpoint per partition in a store shared by all
/// members, so a partition that moves resumes where the previous owner stopped, as the real shard does.
/// </summary>
internal sealed class RecordingListener(ConcurrentDictionary<int, long> checkpoints) : IShardListener
{
    private readonly object _gate = new();
    private readonly HashSet<int> _owned = [];

    public ConcurrentQueue<(BehaviourEvent Event, TopicPartitionOffset Source)> Events { get; } = new();
    public ConcurrentQueue<(DecodeError Reason, TopicPartitionOffset Source)> DeadLetters { get; } = new();
    public int AssignedCalls, RevokedCalls, LostCalls;

    public int[] Owned { get { lock (_gate) return [.. _owned]; } }

    public IEnumerable<TopicPartitionOffset> OnAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        Interlocked.Increment(ref AssignedCalls);
        lock (_gate) foreach (var p in partitions) _owned.Add(p.Partition.Value);
        return partitions.Select(p => new TopicPartitionOffset(p,
            checkpoints.TryGetValue(p.Partition.Value, out var next) ? new Offset(next) : Offset.Beginning));
    }

    public void OnRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        Interlocked.Increment(ref RevokedCalls);
        lock (_gate) foreach (var p in partitions) _owned.Remove(p.Partition.Value);
    }

    public void OnLost(IReadOnlyList<TopicPartition> partitions)
    {
        Interlocked.Increment(ref LostCalls);
        lock (_gate) foreach (var p in partitions) _owned.Remove(p.Partition.Value);
    }

    public void OnEvent(BehaviourEvent ev, TopicPartitionOffset source)
    {
        Events.Enqueue((ev, source));
        checkpoints[source.Partition.Value] = source.Offset.Value + 1;
    }

    public void OnDeadLetter(DecodeError reason, TopicPartitionOffset source)
    {
        DeadLetters.Enqueue((reason, source));
        checkpoints[source.Partition.Value] = source.Offset.Value + 1;
    }
}
