using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace RecoActors.Actors;

/// <summary>INTERNAL API. The mailbox and message loop behind one actor, with its supervision.</summary>
/// <remarks>
/// <code>
///   start ──► PreStart ──► receiving ──(idle timeout)──► OnIdle ──► receiving
///                             │  handler throws: restart from the factory (last good state), retry,
///                             │  after MaxAttempts the message goes to dead letters
///                             └─(Stop: mailbox closed)──► drain queued ──► PostStop ──► stopped
/// </code>
/// </remarks>
internal sealed class ActorCell<T>
{
    private readonly Channel<T> _mailbox;
    private readonly Func<Actor<T>> _factory;
    private readonly ActorOptions _options;
    private readonly ActorSystem _system;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ActorContext<T> _context = null!;
    private Actor<T> _actor = null!;
    private volatile bool _closed;

    public ActorCell(ActorSystem system, string path, Func<Actor<T>> factory, ActorOptions options, ILogger logger)
    {
        _system = system;
        Path = path;
        _factory = factory;
        _options = options;
        _logger = logger;
        _mailbox = Channel.CreateBounded<T>(new BoundedChannelOptions(options.MailboxCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public string Path { get; }

    public Task Stopped => _stopped.Task;

    public int Backlog => _mailbox.Reader.Count;

    public int Capacity => _options.MailboxCapacity;

    public ActorRef<T> Start()
    {
        var self = new ActorRef<T>(this);
        _context = new ActorContext<T>(_system, self, _logger);
        _ = Task.Run(RunAsync);
        return self;
    }

    public bool TryEnqueue(T message)
    {
        if (_mailbox.Writer.TryWrite(message)) return true;
        if (_closed) _system.DeadLetters.Publish(new DeadLetter(Path, message, "the actor has stopped"));
        return false;
    }

    /// <returns>False when the actor has stopped (the message went to dead letters).</returns>
    public async ValueTask<bool> EnqueueAsync(T message, CancellationToken cancellationToken)
    {
        try
        {
            await _mailbox.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            _system.DeadLetters.Publish(new DeadLetter(Path, message, "the actor has stopped"));
            return false;
        }
    }

    public void Stop()
    {
        _closed = true;
        _mailbox.Writer.TryComplete();
    }

    private async Task RunAsync()
    {
        try
        {
            _actor = await CreateAsync().ConfigureAwait(false);
            var reader = _mailbox.Reader;
            while (await WaitAsync(reader).ConfigureAwait(false))
                while (reader.TryRead(out var message))
                    await HandleAsync(message).ConfigureAwait(false);
            _context.Timers.CancelAll();
            await _actor.PostStopAsync().ConfigureAwait(false);
            _stopped.TrySetResult();
        }
        catch (Exception ex)
        {
            _closed = true;
            _mailbox.Writer.TryComplete();
            _context.Timers.CancelAll();
            _logger.LogError(ex, "Actor {Path} stopped on a failure it could not recover from", Path);
            while (_mailbox.Reader.TryRead(out var left)) _system.DeadLetters.Publish(new DeadLetter(Path, left, "the actor failed", ex));
            _stopped.TrySetException(ex);
        }
        finally
        {
            _system.Forget(Path);
        }
    }

    /// <summary>Waits for a message; on idle timeout runs OnIdle and waits again. False once stopped and drained.</summary>
    private async ValueTask<bool> WaitAsync(ChannelReader<T> reader)
    {
        if (_options.IdleTimeout is not { } idle) return await reader.WaitToReadAsync().ConfigureAwait(false);
        while (true)
        {
            using var timeout = new CancellationTokenSource(idle);
            try
            {
                return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                await _actor.OnIdleAsync().ConfigureAwait(false);
            }
        }
    }

    private async ValueTask HandleAsync(T message)
    {
        Exception? last = null;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            try
            {
                await _actor.ReceiveAsync(message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                last = ex;
                _logger.LogWarning(ex, "Actor {Path} failed on {Message} (attempt {Attempt} of {Max}); restarting", Path, message, attempt, _options.MaxAttempts);
                _actor = await CreateAsync().ConfigureAwait(false);
            }
        }
        _system.DeadLetters.Publish(new DeadLetter(Path, message, $"failed {_options.MaxAttempts} times", last));
    }

    /// <summary>A fresh instance from the factory (its last good state), started; a failing start is retried like a message.</summary>
    private async Task<Actor<T>> CreateAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var actor = _factory();
            actor.Attach(_context);
            try
            {
                await actor.PreStartAsync().ConfigureAwait(false);
                return actor;
            }
            catch (Exception ex) when (attempt < _options.MaxAttempts)
            {
                _logger.LogWarning(ex, "Actor {Path} failed to start (attempt {Attempt}); retrying", Path, attempt);
            }
        }
    }
}
