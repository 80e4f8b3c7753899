namespace RecoActors.Actors;

/// <summary>
/// An actor that handles messages of type <typeparamref name="T"/> one at a time, in order. Its fields are its
/// state: only the actor's own loop touches them, so they need no locks.
/// </summary>
/// <remarks>
/// Work that completes later (I/O) should be awaited inside <see cref="ReceiveAsync"/> (the mailbox waits) or
/// turned into a message to <see cref="Self"/>; never touch fields from a continuation that runs elsewhere.
/// </remarks>
public abstract class Actor<T>
{
    private ActorContext<T>? _context;

    /// <summary>The actor's context: its own reference, timers, the system.</summary>
    protected ActorContext<T> Context => _context ?? throw new InvalidOperationException("the actor is not started");

    /// <summary>The actor's own reference.</summary>
    protected ActorRef<T> Self => Context.Self;

    internal void Attach(ActorContext<T> context) => _context = context;

    /// <summary>Runs before the first message (and after each restart): load state here.</summary>
    protected internal virtual ValueTask PreStartAsync() => ValueTask.CompletedTask;

    /// <summary>Handles one message.</summary>
    protected internal abstract ValueTask ReceiveAsync(T message);

    /// <summary>
    /// Runs when no message arrived for <see cref="ActorOptions.IdleTimeout"/>. The default stops the actor
    /// (passivation); an actor with unsaved state saves it first.
    /// </summary>
    protected internal virtual ValueTask OnIdleAsync()
    {
        Context.Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs once after the last message, on a graceful stop.</summary>
    protected internal virtual ValueTask PostStopAsync() => ValueTask.CompletedTask;
}
