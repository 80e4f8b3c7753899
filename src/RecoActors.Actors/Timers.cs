namespace RecoActors.Actors;

/// <summary>
/// Named single-shot timers that deliver a message to the actor itself: timeouts and retries are ordinary messages.
/// Starting a timer under a key that is running replaces it; a cancelled timer delivers nothing (a message it had
/// already queued stays queued).
/// </summary>
public sealed class Timers<T>
{
    private readonly ActorRef<T> _self;
    private readonly Dictionary<object, Timer> _timers = [];
    private readonly Lock _gate = new();

    internal Timers(ActorRef<T> self) => _self = self;

    /// <summary>Delivers <paramref name="message"/> to the actor after <paramref name="delay"/>, unless cancelled first.</summary>
    public void StartSingle(object key, T message, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            Cancel(key);
            Timer? timer = null;
            timer = new Timer(_ =>
            {
                lock (_gate)
                {
                    if (!_timers.TryGetValue(key, out var current) || current != timer) return;
                    _timers.Remove(key);
                }
                timer!.Dispose();
                _ = _self.TellAsync(message).AsTask();
            });
            _timers[key] = timer;
            timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Whether a timer with this key is pending.</summary>
    public bool IsActive(object key)
    {
        lock (_gate) return _timers.ContainsKey(key);
    }

    /// <summary>Cancels a pending timer; nothing happens if there is none.</summary>
    public void Cancel(object key)
    {
        lock (_gate)
        {
            if (!_timers.Remove(key, out var timer)) return;
            timer.Dispose();
        }
    }

    internal void CancelAll()
    {
        lock (_gate)
        {
            foreach (var timer in _timers.Values) timer.Dispose();
            _timers.Clear();
        }
    }
}
