using Microsoft.Extensions.Logging;

namespace RecoActors.Actors;

/// <summary>What an actor can reach besides its state: itself, its timers, the system.</summary>
public sealed class ActorContext<T>
{
    internal ActorContext(ActorSystem system, ActorRef<T> self, ILogger logger)
    {
        System = system;
        Self = self;
        Logger = logger;
        Timers = new Timers<T>(self);
    }

    /// <summary>The system the actor lives in.</summary>
    public ActorSystem System { get; }

    /// <summary>The actor's own reference.</summary>
    public ActorRef<T> Self { get; }

    /// <summary>The actor's named timers.</summary>
    public Timers<T> Timers { get; }

    /// <summary>A logger for the actor.</summary>
    public ILogger Logger { get; }

    /// <summary>Stops the actor after the messages already queued.</summary>
    public void Stop() => Self.Stop();
}
