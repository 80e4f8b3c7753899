using MessagePack;
using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>What a partition actor is told: by the keep-alive, its feed, its users and its timers.</summary>
internal abstract record PartitionMessage
{
    private PartitionMessage() { }

    /// <summary>A user entity starting: answer with its last state (<see cref="Loaded"/>).</summary>
    public sealed record Load(int Partition, string UserId) : PartitionMessage, IPartitioned;

    /// <summary>Records read from the partition, in offset order, from the feed opened as <paramref name="Generation"/>.</summary>
    public sealed record Records(long Generation, IReadOnlyList<FeedRecord> Items) : PartitionMessage;

    /// <summary>A user saw an event whose predecessor it never got: it holds everything up to <paramref name="LastApplied"/>.</summary>
    public sealed record Gap(string UserId, long LastApplied, int Epoch) : PartitionMessage;

    /// <summary>A user whose state cannot be read refused the event at <paramref name="Offset"/> (it goes to the dead-letter topic).</summary>
    public sealed record Refused(string UserId, long Offset, int Epoch, BehaviourEvent Event, string Reason) : PartitionMessage;

    /// <summary>
    /// A user's answer to <see cref="UserCommand.Flush"/>: its state, or null if unchanged since its last flush or stop;
    /// either way it holds every event up to <paramref name="LastApplied"/>.
    /// </summary>
    public sealed record Flushed(string UserId, long Cycle, long LastApplied, UserRecord? State) : PartitionMessage;

    /// <summary>
    /// A user entity stopped (passivated or handed off), leaving its last state if it changed. Sent straight to the
    /// partition actor that last wrote to the user (the shard drops messages while it hands off). If that actor has
    /// been replaced since, nothing is lost: the new one has no acknowledgement from this user to cover, and replays
    /// this user's events from its own checkpoint.
    /// </summary>
    public sealed record Stopped(string UserId, long LastApplied, UserRecord? State) : PartitionMessage;

    /// <summary>Send what has been read: told to itself once per burst of records, so a burst goes out grouped by user.</summary>
    public sealed record Drain : PartitionMessage
    {
        /// <summary>The one request.</summary>
        public static Drain Instance { get; } = new();
    }

    /// <summary>Timer: a commit is due.</summary>
    public sealed record CommitTick : PartitionMessage
    {
        /// <summary>The one tick.</summary>
        public static CommitTick Instance { get; } = new();
    }

    /// <summary>Timer: check on late commits, waiting records, shares and idle users.</summary>
    public sealed record Check : PartitionMessage
    {
        /// <summary>The one tick.</summary>
        public static Check Instance { get; } = new();
    }

    /// <summary>Timer: the hand-off's wait for the users' last states is over.</summary>
    public sealed record HandOffDeadline : PartitionMessage
    {
        /// <summary>The one tick.</summary>
        public static HandOffDeadline Instance { get; } = new();
    }
}

/// <summary>The partition actor's answer to <see cref="PartitionMessage.Load"/>: the user's last state, or null for a new user.</summary>
internal sealed record Loaded(UserRecord? Record);

/// <summary>Start (or keep running) the actor of <paramref name="Partition"/>; sent by every node's keep-alive, so it crosses nodes.</summary>
[MessagePackObject]
public sealed record WakePartition([property: Key(0)] int Partition) : IPartitioned, IRuntimeSerializable;

/// <summary>One record of a partition: an event, or (null) a record that went to the dead-letter topic but still moves the position.</summary>
public readonly record struct FeedRecord(long Offset, BehaviourEvent? Event);
