using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RecoActors.Core;
using RecoActors.Storage;

namespace RecoActors.Actors;

/// <summary>
/// Runs one <see cref="Shard"/>: applies its partition's records in order, commits by count and by time, hands its
/// model partial to the <see cref="SegmentActor"/>, and passivates its users when the partition goes quiet.
/// </summary>
/// <remarks>
/// A store outage never costs an event: the actor retries the same step with back-off (logging at most every few
/// seconds), its mailbox fills, and the consumer pauses the partition until there is room again. A fenced commit
/// means another node owns the partition: the shard is dropped and its records are left to the new owner.
/// </remarks>
internal sealed class ShardActor(ShardHandle handle, ShardServices services) : Actor<ShardMessage>
{
    private const string TickTimer = "tick";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private readonly Shard _shard = handle.Shard;

    /// <inheritdoc />
    protected internal override async ValueTask ReceiveAsync(ShardMessage message)
    {
        if (handle.IsGone)
        {
            (message as ShardMessage.Flush)?.Reply.Send(false);
            return;
        }
        switch (message)
        {
            case ShardMessage.Apply apply:
                var applied = false;
                if (!await DurablyAsync(async ct => applied = await _shard.ApplyAsync(apply.Event, apply.Offset, ct).ConfigureAwait(false)).ConfigureAwait(false)) return;
                if (applied) services.CountApplied();
                await AfterRecordAsync().ConfigureAwait(false);
                break;
            case ShardMessage.Skip skip:
                _shard.Skip(skip.Offset);
                await AfterRecordAsync().ConfigureAwait(false);
                break;
            case ShardMessage.Tick:
                await ContributeAsync().ConfigureAwait(false);
                if (_shard.CommitDue) await DurablyAsync(_shard.CommitAsync).ConfigureAwait(false);
                if (_shard.Uncommitted > 0) StartTick();
                break;
            case ShardMessage.Flush flush:
                await ContributeAsync().ConfigureAwait(false);
                flush.Reply.Send(await DurablyAsync(_shard.CommitAsync).ConfigureAwait(false));
                break;
            case ShardMessage.ReadUser read:
                UserState? user = null;
                if (await DurablyAsync(async ct => user = await _shard.ReadUserAsync(read.UserId, ct).ConfigureAwait(false)).ConfigureAwait(false))
                    read.Reply.Send(user);
                else
                    read.Reply.Fail(new InvalidOperationException($"partition {_shard.Partition} is no longer on this node"));
                break;
        }
    }

    /// <summary>A quiet partition commits and gives its users' memory back.</summary>
    protected internal override async ValueTask OnIdleAsync()
    {
        if (handle.IsGone) return;
        if (_shard.Uncommitted > 0 && !await DurablyAsync(_shard.CommitAsync).ConfigureAwait(false)) return;
        _shard.Passivate();
    }

    /// <inheritdoc />
    protected internal override ValueTask PostStopAsync()
    {
        _shard.Release();
        return ValueTask.CompletedTask;
    }

    private async ValueTask AfterRecordAsync()
    {
        if (_shard.PartialEvents >= services.Options.ContributeEvery) await ContributeAsync().ConfigureAwait(false);
        if (_shard.Uncommitted >= _shard.CommitEvery) await DurablyAsync(_shard.CommitAsync).ConfigureAwait(false);
        else if (!Context.Timers.IsActive(TickTimer)) StartTick();
    }

    private void StartTick() => Context.Timers.StartSingle(TickTimer, ShardMessage.Tick.Instance, services.Options.TickInterval);

    private async ValueTask ContributeAsync()
    {
        if (_shard.TakePartial() is { } partial) await services.Segments.TellAsync(new SegmentMessage.Contribute(partial)).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a store step until it succeeds. False when the shard is gone: fenced (another node owns the partition)
    /// or let go by the region while the step was being retried.
    /// </summary>
    private async Task<bool> DurablyAsync(Func<CancellationToken, Task> step)
    {
        var delay = FirstRetry;
        while (true)
        {
            try
            {
                await step(handle.Gone).ConfigureAwait(false);
                // Only a step that failed on the store and now succeeded proves it is back (many steps never touch it).
                if (delay != FirstRetry) services.StoreIsUp();
                return true;
            }
            catch (FencedException ex)
            {
                services.Logger.LogWarning("Partition {Partition} dropped: {Reason}", _shard.Partition, ex.Message);
                services.Drop(handle);
                Context.Stop();
                return false;
            }
            catch (OperationCanceledException) when (handle.IsGone)
            {
                return false;
            }
            catch (Exception ex) when (IsStoreFailure(ex))
            {
                services.StoreIsDown(ex, _shard.Partition);
                try
                {
                    await Task.Delay(delay, handle.Gone).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, services.Options.MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>Failures that a store coming back cures: everything else is a bug and goes to supervision.</summary>
    private static bool IsStoreFailure(Exception ex) => ex is DbException or TimeoutException or IOException or SocketException
        || ex.InnerException is { } inner && IsStoreFailure(inner);
}
