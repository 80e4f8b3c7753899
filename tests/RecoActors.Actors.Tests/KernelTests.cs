using System.Collections.Concurrent;
using RecoActors.Actors.Testing;

namespace RecoActors.Actors.Tests;

/// <summary>Messages of the test actors.</summary>
public interface ICounterMessage;
public sealed record Add(int Amount) : ICounterMessage;
public sealed record Get(Reply<int> ReplyTo) : ICounterMessage;
public sealed record Fail(string Why) : ICounterMessage;
public sealed record Report(ActorRef<int> To) : ICounterMessage;
public sealed record Remind(int Value, TimeSpan After) : ICounterMessage;
public sealed record CancelRemind : ICounterMessage;
public sealed record Block(Task Until, TaskCompletionSource Entered) : ICounterMessage;

/// <summary>
/// A counter whose last good state lives in a store, as a user actor's does: a restart reloads it, so a failed
/// message leaves no trace.
/// </summary>
internal sealed class Counter(ConcurrentDictionary<string, int> store, ActorRef<int>? observer = null) : Actor<ICounterMessage>
{
    private int _count;

    protected internal override ValueTask PreStartAsync()
    {
        _count = store.GetValueOrDefault(Self.Path);
        return ValueTask.CompletedTask;
    }

    protected internal override async ValueTask ReceiveAsync(ICounterMessage message)
    {
        switch (message)
        {
            case Add add:
                _count += add.Amount;
                store[Self.Path] = _count;
                break;
            case Get get:
                get.ReplyTo.Send(_count);
                break;
            case Fail fail:
                _count = -1_000;
                throw new InvalidOperationException(fail.Why);
            case Report report:
                await report.To.TellAsync(_count);
                break;
            case Remind remind:
                Context.Timers.StartSingle("remind", new Report(observer!), remind.After);
                break;
            case CancelRemind:
                Context.Timers.Cancel("remind");
                break;
            case Block block:
                block.Entered.SetResult();
                await block.Until;
                break;
        }
    }

    protected internal override async ValueTask OnIdleAsync()
    {
        if (observer is not null) await observer.TellAsync(-1);
        Context.Stop();
    }

    protected internal override async ValueTask PostStopAsync()
    {
        if (observer is not null) await observer.TellAsync(-2);
    }
}

public class KernelTests : IAsyncLifetime
{
    private readonly ActorSystem _system = new();
    private readonly ConcurrentDictionary<string, int> _store = new();
    private readonly ConcurrentQueue<DeadLetter> _deadLetters = new();

    public Task InitializeAsync()
    {
        _system.DeadLetters.Published += _deadLetters.Enqueue;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    private ActorRef<ICounterMessage> Counter(string name, ActorRef<int>? observer = null, ActorOptions? options = null) =>
        _system.Spawn<ICounterMessage>(name, () => new Counter(_store, observer), options);

    [Fact]
    public async Task Messages_are_handled_in_order_and_ask_gets_the_answer()
    {
        var counter = Counter("c");
        for (var i = 1; i <= 100; i++) await counter.TellAsync(new Add(i));
        Assert.Equal(5050, await counter.Ask<int>(r => new Get(r), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Ask_without_an_answer_times_out_with_the_actor_named()
    {
        var silent = _system.Spawn<ICounterMessage>("silent", () => new Counter(_store));
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => silent.Ask<int>(_ => new Add(1), TimeSpan.FromMilliseconds(100)));
        Assert.Contains("silent", ex.Message);
    }

    [Fact]
    public async Task A_failing_message_restarts_the_actor_from_its_last_good_state_then_goes_to_dead_letters()
    {
        var counter = Counter("supervised", options: new ActorOptions { MaxAttempts = 3 });
        await counter.TellAsync(new Add(5));
        await counter.TellAsync(new Fail("bad input"));
        await counter.TellAsync(new Add(2));

        Assert.Equal(7, await counter.Ask<int>(r => new Get(r), TimeSpan.FromSeconds(5)));
        var letter = Assert.Single(_deadLetters);
        Assert.Equal("supervised", letter.Recipient);
        Assert.IsType<Fail>(letter.Message);
        Assert.Equal("failed 3 times", letter.Reason);
        Assert.Equal("bad input", letter.Exception!.Message);
    }

    [Fact]
    public async Task A_full_mailbox_refuses_try_tell_and_makes_tell_async_wait()
    {
        var gate = new TaskCompletionSource();
        var counter = Counter("bounded", options: new ActorOptions { MailboxCapacity = 2 });
        var entered = new TaskCompletionSource();
        await counter.TellAsync(new Block(gate.Task, entered));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));

        // The actor is busy and its mailbox empty: exactly the capacity is accepted.
        var accepted = 0;
        while (counter.TryTell(new Add(1))) accepted++;
        Assert.Equal(2, accepted);

        var waiting = counter.TellAsync(new Add(100)).AsTask();
        Assert.False(waiting.IsCompleted);
        gate.SetResult();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(102, await counter.Ask<int>(r => new Get(r), TimeSpan.FromSeconds(5)));
        Assert.Empty(_deadLetters);
    }

    [Fact]
    public async Task Ask_times_out_while_the_mailbox_stays_full()
    {
        var gate = new TaskCompletionSource();
        var counter = Counter("jammed", options: new ActorOptions { MailboxCapacity = 1 });
        var entered = new TaskCompletionSource();
        await counter.TellAsync(new Block(gate.Task, entered));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(counter.TryTell(new Add(1)));

        // The question cannot even be queued: the timeout must still hold (a revoke waits on this during an outage).
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => counter.Ask<int>(r => new Get(r), TimeSpan.FromMilliseconds(200)));
        Assert.Contains("jammed", ex.Message);
        gate.SetResult();
    }

    [Fact]
    public async Task Stop_handles_what_was_queued_runs_post_stop_and_dead_letters_later_messages()
    {
        var probe = new TestProbe<int>(_system);
        var counter = Counter("stopping", probe.Ref);
        await counter.TellAsync(new Add(3));
        await counter.TellAsync(new Report(probe.Ref));
        counter.Stop();
        Assert.Equal(3, await probe.ExpectMsgAsync());
        Assert.Equal(-2, await probe.ExpectMsgAsync());
        await counter.Stopped.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.False(counter.TryTell(new Add(1)));
        await counter.TellAsync(new Add(1));
        Assert.Equal(2, _deadLetters.Count);
        // A question to a stopped actor fails at once, not at its deadline (a minute here).
        var ask = counter.Ask<int>(r => new Get(r), TimeSpan.FromMinutes(1));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ask.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("stopping has stopped", ex.Message);
        Assert.Equal(3, _deadLetters.Count);
        Assert.All(_deadLetters, d => Assert.Equal("the actor has stopped", d.Reason));
    }

    [Fact]
    public async Task A_timer_delivers_its_message_and_a_cancelled_one_does_not()
    {
        var probe = new TestProbe<int>(_system);
        var counter = Counter("timed", probe.Ref);
        await counter.TellAsync(new Add(9));
        await counter.TellAsync(new Remind(0, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(9, await probe.ExpectMsgAsync());

        await counter.TellAsync(new Remind(0, TimeSpan.FromMilliseconds(300)));
        await counter.TellAsync(new CancelRemind());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(600));
    }

    [Fact]
    public async Task An_idle_actor_is_passivated_and_a_new_incarnation_resumes_its_state()
    {
        var probe = new TestProbe<int>(_system);
        var options = new ActorOptions { IdleTimeout = TimeSpan.FromMilliseconds(100) };
        var counter = Counter("idle", probe.Ref, options);
        await counter.TellAsync(new Add(4));
        Assert.Equal(-1, await probe.ExpectMsgAsync());
        Assert.Equal(-2, await probe.ExpectMsgAsync());
        await counter.Stopped.WaitAsync(TimeSpan.FromSeconds(5));

        var again = Counter("idle", probe.Ref, options);
        Assert.Equal(4, await again.Ask<int>(r => new Get(r), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Names_are_unique_while_running()
    {
        Counter("only");
        Assert.Throws<InvalidOperationException>(() => Counter("only"));
    }

    [Fact]
    public async Task A_probe_reports_a_missing_or_unexpected_message()
    {
        var probe = new TestProbe<int>(_system);
        await Assert.ThrowsAsync<ExpectationException>(() => probe.ExpectMsgAsync(TimeSpan.FromMilliseconds(50)));
        await probe.Ref.TellAsync(1);
        await Assert.ThrowsAsync<ExpectationException>(() => probe.ExpectNoMsgAsync(TimeSpan.FromSeconds(2)));
    }
}
