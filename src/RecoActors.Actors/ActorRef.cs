namespace RecoActors.Actors;

/// <summary>The only way to reach an actor: tell it a message, or ask and await the answer.</summary>
public sealed class ActorRef<T>
{
    private readonly ActorCell<T> _cell;

    internal ActorRef(ActorCell<T> cell) => _cell = cell;

    /// <summary>The actor's unique name in its system.</summary>
    public string Path => _cell.Path;

    /// <summary>Completes when the actor has stopped (after its last message and <see cref="Actor{T}.PostStopAsync"/>).</summary>
    public Task Stopped => _cell.Stopped;

    /// <summary>Messages waiting in the mailbox now, out of <see cref="Capacity"/>.</summary>
    public int Backlog => _cell.Backlog;

    /// <summary>The mailbox's capacity (<see cref="ActorOptions.MailboxCapacity"/>).</summary>
    public int Capacity => _cell.Capacity;

    /// <summary>
    /// Queues a message if there is room. False when the mailbox is full (back-pressure: slow down or pause the
    /// source) or the actor has stopped (the message then goes to dead letters).
    /// </summary>
    public bool TryTell(T message) => _cell.TryEnqueue(message);

    /// <summary>Queues a message, waiting for room; a stopped actor's message goes to dead letters.</summary>
    public async ValueTask TellAsync(T message, CancellationToken cancellationToken = default) => await _cell.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);

    /// <summary>Sends the message <paramref name="build"/> makes around a reply slot and awaits the answer.</summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>, counting any wait for room in a full mailbox.</exception>
    /// <exception cref="InvalidOperationException">The actor has stopped.</exception>
    public async Task<TReply> Ask<TReply>(Func<Reply<TReply>, T> build, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        var reply = new Reply<TReply>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // A stopped actor will never answer: say so now rather than at the deadline.
            if (!await _cell.EnqueueAsync(build(reply), deadline.Token).ConfigureAwait(false))
                throw new InvalidOperationException($"{Path} has stopped");
            return await reply.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Path} did not answer within {timeout.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>Stops the actor gracefully: messages already queued are handled, later ones go to dead letters.</summary>
    public void Stop() => _cell.Stop();

    /// <inheritdoc />
    public override string ToString() => $"ActorRef({Path})";
}
