namespace RecoActors.Runtime;

/// <summary>
/// The records of one partition sent to users and not yet applied, in offset order: tells the offset below which
/// every record has been applied, and how long the oldest one has been waiting.
/// </summary>
internal sealed class InFlight
{
    private readonly Queue<long> _order = new();
    private readonly Dictionary<long, (string UserId, long SentAt)> _open = [];
    private long _next;

    /// <summary>Records sent and not applied.</summary>
    public int Count => _open.Count;

    /// <summary>Every record below this offset has been applied (or skipped).</summary>
    public long AppliedBelow => _order.Count > 0 ? _order.Peek() : _next;

    /// <summary>When (<see cref="Environment.TickCount64"/>) the oldest open record was sent; null if none is open.</summary>
    public long? OldestSentAt => _order.Count > 0 ? _open[_order.Peek()].SentAt : null;

    /// <summary>A record was sent to <paramref name="userId"/>.</summary>
    public void Sent(long offset, string userId, long now)
    {
        _order.Enqueue(offset);
        _open[offset] = (userId, now);
        _next = offset + 1;
    }

    /// <summary>A record that needs no user (it went to the dead-letter topic).</summary>
    public void Skipped(long offset) => _next = Math.Max(_next, offset + 1);

    /// <summary>The record was applied; returns its user, or null if it was not open (a late or repeated answer).</summary>
    public string? Applied(long offset)
    {
        if (!_open.Remove(offset, out var entry)) return null;
        while (_order.Count > 0 && !_open.ContainsKey(_order.Peek())) _order.Dequeue();
        return entry.UserId;
    }

    /// <summary>Forgets everything: reading starts again at <paramref name="position"/>.</summary>
    public void Reset(long position)
    {
        _order.Clear();
        _open.Clear();
        _next = position;
    }
}
