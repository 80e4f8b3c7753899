using Akka.Event;

namespace RecoActors.Runtime;

/// <summary>
/// Logs a node's store failures at most once per <see cref="Interval"/>: during an outage every partition retries
/// every second, and one line that says so (with how many were folded into it) is worth more than dozens.
/// </summary>
public sealed class StoreTrouble
{
    /// <summary>The least time between two lines.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private long _lastAt = -(long)Interval.TotalMilliseconds;
    private int _quiet;
    private long _lines;
    private long _failures;
    private int _failing;

    /// <summary>Lines logged so far.</summary>
    public long Lines => Interlocked.Read(ref _lines);

    /// <summary>Store failures seen so far, logged or folded into a later line.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>False from a store failure until the next store operation that succeeds.</summary>
    public bool Available => Volatile.Read(ref _failing) == 0;

    /// <summary>A store operation succeeded.</summary>
    public void Succeeded() => Volatile.Write(ref _failing, 0);

    /// <summary>Logs <paramref name="what"/> with the cause unless a line was logged less than <see cref="Interval"/> ago.</summary>
    public void Report(ILoggingAdapter log, string what, Exception cause)
    {
        Interlocked.Increment(ref _failures);
        Volatile.Write(ref _failing, 1);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastAt);
        if (now - last < Interval.TotalMilliseconds || Interlocked.CompareExchange(ref _lastAt, now, last) != last)
        {
            Interlocked.Increment(ref _quiet);
            return;
        }
        Interlocked.Increment(ref _lines);
        var folded = Interlocked.Exchange(ref _quiet, 0);
        log.Warning("{0}: {1}{2}", what, Innermost(cause).Message, folded > 0 ? $" ({folded} more store failures since the last line)" : "");
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;
}
