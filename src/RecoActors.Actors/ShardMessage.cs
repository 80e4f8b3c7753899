using RecoActors.Core;

namespace RecoActors.Actors;

/// <summary>What a <see cref="ShardActor"/> is told: its partition's records, in offset order, and housekeeping.</summary>
public abstract record ShardMessage
{
    private ShardMessage() { }

    /// <summary>The event at <paramref name="Offset"/>.</summary>
    public sealed record Apply(BehaviourEvent Event, long Offset) : ShardMessage;

    /// <summary>The record at <paramref name="Offset"/> was not an event (it went to the dead-letter topic).</summary>
    public sealed record Skip(long Offset) : ShardMessage;

    /// <summary>Commit now and hand the model partial over; answers false if the partition has moved (fenced).</summary>
    public sealed record Flush(Reply<bool> Reply) : ShardMessage;

    /// <summary>A copy of a user's state, loaded from the store if it is not resident; null for an unknown user.</summary>
    public sealed record ReadUser(string UserId, Reply<UserState?> Reply) : ShardMessage;

    /// <summary>Timer: commit if one is due by time, and hand the model partial over.</summary>
    public sealed record Tick : ShardMessage
    {
        /// <summary>The one tick.</summary>
        public static Tick Instance { get; } = new();
    }
}
