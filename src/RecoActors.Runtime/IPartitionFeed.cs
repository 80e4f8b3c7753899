using Akka.Actor;

namespace RecoActors.Runtime;

/// <summary>
/// Where a partition actor's records come from (the node's Kafka consumer, or an in-memory source in tests and
/// benchmarks). Records go to the actor that opened the partition as <see cref="PartitionMessage.Records"/>, in
/// offset order, only while it has credit: the feed pauses a partition whose records are not being applied.
/// </summary>
/// <remarks>Every member may be called from any actor's thread.</remarks>
public interface IPartitionFeed
{
    /// <summary>Starts delivering <paramref name="partition"/> from <paramref name="offset"/> to <paramref name="target"/> with <paramref name="credit"/> records of credit.</summary>
    /// <returns>The generation that the deliveries carry; deliveries of an earlier one are stale.</returns>
    long Open(int partition, long offset, IActorRef target, int credit);

    /// <summary>Starts again from <paramref name="offset"/> (a replay), with fresh <paramref name="credit"/>.</summary>
    /// <returns>The new generation.</returns>
    long Seek(int partition, long offset, int credit);

    /// <summary>Stops delivering the partition, if it is still open as <paramref name="generation"/> (a new owner's opening stays).</summary>
    void Close(int partition, long generation);

    /// <summary>Gives back credit for <paramref name="records"/> records that were applied.</summary>
    void Grant(int partition, int records);

    /// <summary>Reports the checkpoint (the next offset to read), for lag monitoring.</summary>
    void Committed(int partition, long nextOffset);

    /// <summary>Sends a record to the dead-letter topic on behalf of a user who could not take it.</summary>
    void DeadLetter(int partition, long offset, Core.BehaviourEvent ev, string code, string reason);

    /// <summary>The end of the partition (the offset the next produced record gets) as last seen, or null.</summary>
    long? End(int partition);
}
