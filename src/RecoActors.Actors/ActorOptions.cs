namespace RecoActors.Actors;

/// <summary>How an actor's mailbox and supervision behave.</summary>
public sealed record ActorOptions
{
    /// <summary>Defaults: 1,024 messages, 3 attempts per message, no idle timeout.</summary>
    public static ActorOptions Default { get; } = new();

    /// <summary>Messages the mailbox holds before <see cref="ActorRef{T}.TryTell"/> refuses and <see cref="ActorRef{T}.TellAsync"/> waits.</summary>
    public int MailboxCapacity { get; init; } = 1024;

    /// <summary>Attempts at one message (restarting the actor between them) before it goes to dead letters.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>After this long without a message, <see cref="Actor{T}.OnIdleAsync"/> runs; null: never.</summary>
    public TimeSpan? IdleTimeout { get; init; }
}
