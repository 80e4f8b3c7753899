using System.Collections.Concurrent;
using Confluent.Kafka;
using RecoActors.Core;

namespace RecoActors.Kafka.Tests;

/// <summary>
/// A stand-in shard layer: records what it is told and keeps a checkpoint per partition in a store shared by all
/// members, so a partition that moves resumes where the previous owner stopped, as the real shard does.
/// </summary>
/// <remarks>
/// With <paramref name="refuse"/>, a record it chooses is refused the first time it arrives (the consumer must pause
/// the partition and deliver it again); a record other than the next expected one (a gap or a repeat) is counted in <see cref="Misordered"/>.
/// </remarks>
internal sealed class RecordingListener(ConcurrentDictionary<int, long> checkpoints, Func<TopicPartitionOffset, bool>? refuse = null) : IShardListener
{
    private readonly ConcurrentDictionary<TopicPartitionOffset, bool> _refused = new();
    private int _misordered;
    public int Misordered => Volatile.Read(ref _misordered);
    public int Refusals => _refused.Count;

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

    public bool OnEvent(BehaviourEvent ev, TopicPartitionOffset source)
    {
        if (!Admit(source)) return false;
        Events.Enqueue((ev, source));
        return true;
    }

    public bool OnDeadLetter(DecodeError reason, TopicPartitionOffset source)
    {
        if (!Admit(source)) return false;
        DeadLetters.Enqueue((reason, source));
        return true;
    }

    private bool Admit(TopicPartitionOffset source)
    {
        if (refuse is not null && refuse(source) && _refused.TryAdd(source, true)) return false;
        if (checkpoints.TryGetValue(source.Partition.Value, out var next) && source.Offset.Value != next) Interlocked.Increment(ref _misordered);
        checkpoints[source.Partition.Value] = source.Offset.Value + 1;
        return true;
    }
}
