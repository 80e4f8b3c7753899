using Akka.Cluster.Sharding;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// Routes the user region's messages: the shard is the user's Kafka partition (murmur2 of the user id, as the
/// producers' partitioner computes it), so a user's entity lives beside the partition actor that reads its events.
/// </summary>
/// <remarks>
/// Each shard also holds one reserved entity, <see cref="PartitionEntityId"/>: the partition actor. Its id is a
/// blank string, which no user id can be (blank ids are malformed events and bad requests).
/// </remarks>
public sealed class UserMessageExtractor(NodeContext node) : IMessageExtractor
{
    /// <summary>The entity id of every shard's partition actor.</summary>
    public const string PartitionEntityId = " ";

    /// <inheritdoc />
    public string? EntityId(object message) => message switch
    {
        IUserMessage user => user.UserId,
        IPartitioned => PartitionEntityId,
        _ => null,
    };

    /// <inheritdoc />
    public object? EntityMessage(object message) => message;

    /// <inheritdoc />
    public string? ShardId(object message) => message switch
    {
        IPartitioned partitioned => node.PartitionIds[partitioned.Partition],
        IUserMessage user => node.PartitionIds[Murmur2Partitioner.Partition(user.UserId, node.Partitions)],
        _ => null,
    };

    /// <inheritdoc />
    public string ShardId(string entityId, object? messageHint = null) =>
        messageHint is not null && ShardId(messageHint) is { } shard ? shard : node.PartitionIds[Murmur2Partitioner.Partition(entityId, node.Partitions)];
}
