using Akka.Event;

namespace RecoActors.Runtime;

/// <summary>
/// Logs store failures at most once per <see cref="Interval"/> across the process: during an outage every partition
/// retries every second, and one line that says so (with how many were folded into it) is worth more than dozens.
/// </summary>
internal static class StoreTrouble
{
    /// <summary>The least time between two lines.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static long _lastAt = long.MinValue;
    private static int _quiet;

    /// <summary>Logs <paramref name="what"/> with the cause unless a line was logged less than <see cref="Interval"/> ago.</summary>
    public static void Report(ILoggingAdapter log, string what, Exception cause)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastAt);
        if (now - last < Interval.TotalMilliseconds || Interlocked.CompareExchange(ref _lastAt, now, last) != last)
        {
            Interlocked.Increment(ref _quiet);
            return;
        }
        var folded = Interlocked.Exchange(ref _quiet, 0);
        log.Warning("{0}: {1}{2}", what, Innermost(cause).Message, folded > 0 ? $" ({folded} more store failures in the last {Interval.TotalSeconds:0} s)" : "");
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;
}
