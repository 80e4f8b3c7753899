using Microsoft.Extensions.Logging;

namespace RecoActors.Actors;

/// <summary>A message that could not be handled, and why.</summary>
/// <param name="Recipient">The actor's path.</param>
/// <param name="Message">The message.</param>
/// <param name="Reason">Why it was not handled.</param>
/// <param name="Exception">The last failure, when the handler threw.</param>
public sealed record DeadLetter(string Recipient, object? Message, string Reason, Exception? Exception = null);

/// <summary>
/// Where undeliverable and failed messages go: counted, logged, and handed to subscribers. No message is dropped
/// without passing through here.
/// </summary>
public sealed class DeadLetters(ILogger logger)
{
    private long _count;

    /// <summary>How many dead letters there have been.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Raised for every dead letter (on the thread that produced it).</summary>
    public event Action<DeadLetter>? Published;

    internal void Publish(DeadLetter letter)
    {
        Interlocked.Increment(ref _count);
        logger.LogWarning(letter.Exception, "Dead letter to {Recipient}: {Reason} ({MessageType})", letter.Recipient, letter.Reason, letter.Message?.GetType().Name);
        Published?.Invoke(letter);
    }
}
