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

    /// <summary>A valid event was read from <paramref name="source"/>.</summary>
    void OnEvent(BehaviourEvent ev, TopicPartitionOffset source);

    /// <summary>A record was sent to the dead-letter topic; the shard's position still moves past it.</summary>
    void OnDeadLetter(DecodeError reason, TopicPartitionOffset source) { }

    /// <summary>A poll found nothing to read: time-based work (commits) can run while traffic is quiet.</summary>
    void OnIdle() { }
}
