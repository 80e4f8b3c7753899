using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// What a partition actor tells the user entities of its partition. Never crosses nodes: a user's entity lives in
/// the shard of the user's partition, which is the partition actor's own shard.
/// </summary>
internal abstract record UserCommand(string UserId, int Partition) : IUserMessage, IPartitioned
{
    /// <summary>
    /// Apply these events of the user, in offset order. <paramref name="Previous"/> is the offset of the user's event
    /// sent before them in this <paramref name="Epoch"/> (−1: none since the partition's checkpoint), so the entity can
    /// tell that a message before this one was lost instead of skipping it.
    /// </summary>
    /// <remarks>A user's events that arrive together travel together: one message, one mailbox run, for all of them.</remarks>
    public sealed record Apply(string UserId, int Partition, long Previous, int Epoch, ArraySegment<FeedRecord> Events) : UserCommand(UserId, Partition);

    /// <summary>Reply with the state (if it changed since the last flush): the partition is committing cycle <paramref name="Cycle"/>.</summary>
    public sealed record Flush(string UserId, int Partition, long Cycle) : UserCommand(UserId, Partition);

    /// <summary>The node holds too many users: passivate (hand the state over, then stop).</summary>
    public sealed record Evict(string UserId, int Partition) : UserCommand(UserId, Partition);
}

/// <summary>A message whose shard (Kafka partition) is known without hashing the user id.</summary>
public interface IPartitioned
{
    /// <summary>The partition, which is the shard.</summary>
    int Partition { get; }
}

/// <summary>
/// The shard's stop message for every entity, on hand-off and on idle passivation (never PoisonPill, akka.net
/// #7090): a user hands its state to its partition and stops; a partition waits for its users, persists, and stops.
/// </summary>
internal sealed record StopEntity
{
    /// <summary>The one instance.</summary>
    public static StopEntity Instance { get; } = new();

    private StopEntity() { }
}
