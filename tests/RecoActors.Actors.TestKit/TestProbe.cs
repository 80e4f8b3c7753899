using System.Threading.Channels;

namespace RecoActors.Actors.Testing;

/// <summary>
/// An actor that records what it is told, so a test can wait for a message with a deadline, or check that none
/// arrives. Failures throw <see cref="ExpectationException"/> with what was expected and what came.
/// </summary>
public sealed class TestProbe<T>
{
    private static int _next;
    private readonly Channel<T> _inbox = Channel.CreateUnbounded<T>();

    /// <summary>The default wait for <see cref="ExpectMsgAsync"/>: generous, since test machines are slow and shared.</summary>
    public static readonly TimeSpan DefaultWithin = TimeSpan.FromSeconds(5);

    /// <summary>Starts a probe in <paramref name="system"/>.</summary>
    public TestProbe(ActorSystem system, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        Ref = system.Spawn(name ?? $"probe-{Interlocked.Increment(ref _next)}", () => new Recorder(_inbox.Writer),
            new ActorOptions { MailboxCapacity = 100_000 });
    }

    /// <summary>The probe's reference, to hand to the actors under test.</summary>
    public ActorRef<T> Ref { get; }

    /// <summary>The next message, waiting at most <paramref name="within"/>.</summary>
    public async Task<T> ExpectMsgAsync(TimeSpan? within = null)
    {
        var limit = within ?? DefaultWithin;
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            return await _inbox.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new ExpectationException($"expected a message within {limit.TotalMilliseconds:0} ms, none came");
        }
    }

    /// <summary>The next message, which must be a <typeparamref name="TExpected"/> matching <paramref name="predicate"/>.</summary>
    public async Task<TExpected> ExpectMsgAsync<TExpected>(Func<TExpected, bool>? predicate = null, TimeSpan? within = null) where TExpected : T
    {
        var message = await ExpectMsgAsync(within).ConfigureAwait(false);
        if (message is not TExpected typed)
            throw new ExpectationException($"expected a {typeof(TExpected).Name}, got {message}");
        if (predicate is not null && !predicate(typed))
            throw new ExpectationException($"{message} does not match the expectation");
        return typed;
    }

    /// <summary>Checks that no message arrives during <paramref name="duration"/> (the wait is the assertion).</summary>
    public async Task ExpectNoMsgAsync(TimeSpan duration)
    {
        using var timeout = new CancellationTokenSource(duration);
        try
        {
            var message = await _inbox.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            throw new ExpectationException($"expected no message for {duration.TotalMilliseconds:0} ms, got {message}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Recorder(ChannelWriter<T> inbox) : Actor<T>
    {
        protected internal override ValueTask ReceiveAsync(T message) => inbox.WriteAsync(message);
    }
}

/// <summary>A probe's expectation was not met.</summary>
public sealed class ExpectationException(string message) : Exception(message);
