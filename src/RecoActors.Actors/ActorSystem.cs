using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RecoActors.Actors;

/// <summary>Creates actors, keeps their names unique, owns the dead letters, and stops everything on dispose.</summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Func<Task>> _running = new();
    private readonly ILoggerFactory _loggers;

    /// <summary>Creates an empty system.</summary>
    public ActorSystem(ILoggerFactory? loggers = null)
    {
        _loggers = loggers ?? NullLoggerFactory.Instance;
        DeadLetters = new DeadLetters(_loggers.CreateLogger("RecoActors.DeadLetters"));
    }

    /// <summary>Where messages that could not be handled go.</summary>
    public DeadLetters DeadLetters { get; }

    /// <summary>Starts an actor under a unique name; the factory is called again on every restart.</summary>
    /// <exception cref="InvalidOperationException">An actor with that name is running.</exception>
    public ActorRef<T> Spawn<T>(string name, Func<Actor<T>> factory, ActorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        options ??= ActorOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MailboxCapacity, nameof(options.MailboxCapacity));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxAttempts, nameof(options.MaxAttempts));
        var cell = new ActorCell<T>(this, name, factory, options, _loggers.CreateLogger($"RecoActors.Actor.{typeof(T).Name}"));
        if (!_running.TryAdd(name, () => { cell.Stop(); return cell.Stopped; }))
            throw new InvalidOperationException($"an actor named '{name}' is running");
        return cell.Start();
    }

    internal void Forget(string name) => _running.TryRemove(name, out _);

    /// <summary>Stops every actor gracefully and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        var stopping = _running.Values.Select(stop => stop()).ToList();
        try
        {
            await Task.WhenAll(stopping).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each failure was logged by its actor; disposal goes on.
        }
    }
}
