using Confluent.Kafka;
using RecoActors.Core;

namespace RecoActors.Kafka;

/// <summary>
/// What the consumer loop tells the shard layer. Every call comes from the loop's one thread, in order, so an
/// implementation needs no locks for state it keeps to itself.
/// </summary>
public interface IShardListener
{
    /// <summary>
    /// Partitions became this node's. Returns where to start reading each (its stored checkpoint: the next
    /// offset to read), or <see cref="Offset.Unset"/> to fall back to Kafka's committed offset.
    /// </summary>
    IEnumerable<TopicPartitionOffset> OnAssigned(IReadOnlyList<TopicPartition> partitions);

    /// <summary>Partitions are leaving in an orderly way (rebalance or shutdown): flush and release them now.</summary>
    void OnRevoked(IReadOnlyList<TopicPartition> partitions);

    /// <summary>Partitions were taken away (the session expired): another node may own them, so drop unflushed state.</summary>
    void OnLost(IReadOnlyList<TopicPartition> partitions);

    /// <summary>
    /// A valid event was read from <paramref name="source"/>. False refuses it for now (the node is behind or its
    /// store is down): the consumer pauses the partition and later reads it again from this record.
    /// </summary>
    bool OnEvent(BehaviourEvent ev, TopicPartitionOffset source);

    /// <summary>
    /// A record that is not a valid event: the shard's position must still move past it. False refuses it like
    /// <see cref="OnEvent"/>; once accepted, the consumer sends it to the dead-letter topic.
    /// </summary>
    bool OnDeadLetter(DecodeError reason, TopicPartitionOffset source) => true;

    /// <summary>
    /// Asked, while a partition is paused, where to resume it: <paramref name="pausedAt"/> (the refused record), another
    /// offset (a stored checkpoint), or null to stay paused.
    /// </summary>
    long? ResumeFrom(TopicPartition partition, long pausedAt) => pausedAt;
}
