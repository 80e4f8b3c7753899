using Akka.Actor;
using Akka.Configuration;

namespace RecoActors.Runtime.Tests;

/// <summary>A dispatcher on <see cref="BackgroundExecutor"/> runs its actors on threads of its own, lowered before they run anything.</summary>
public sealed class BackgroundExecutorTests() : Akka.TestKit.Xunit2.TestKit(BackgroundExecutor.Dispatcher(Id, 2))
{
    private const string Id = "akka.test-background-dispatcher";

    /// <summary>Answers with the id and name of the thread that runs it.</summary>
    private sealed class Where : ReceiveActor
    {
        public Where() => ReceiveAny(_ => Sender.Tell((BackgroundThreadTests.CurrentTid(), Thread.CurrentThread.Name)));
    }

    [Fact]
    public void Actors_on_its_dispatcher_run_on_its_own_threads_at_the_background_nice_value_with_the_long_slice()
    {
        Assert.True(OperatingSystem.IsLinux(), "the node lowers threads on Linux, where it runs; this test checks that");
        var threads = new HashSet<int>();
        // Several actors, so that both threads run one (the queue is shared: which runs which is up to them).
        var actors = Enumerable.Range(0, 8).Select(_ => Sys.ActorOf(Props.Create(() => new Where()).WithDispatcher(Id))).ToList();
        AwaitAssert(() =>
        {
            foreach (var actor in actors)
            {
                var (tid, name) = actor.Ask<(int, string?)>("where", TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
                Assert.StartsWith(Id + "-", name);
                Assert.Equal((BackgroundThread.Nice, BackgroundThread.Slice), BackgroundThread.Scheduling(tid));
                threads.Add(tid);
            }
            Assert.Equal(2, threads.Count);
        }, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void A_thread_count_below_one_fails_naming_the_dispatcher()
    {
        var config = ConfigurationFactory.ParseString("id = akka.bad\nbackground-executor.thread-count = 0");
        var error = Assert.Throws<ConfigurationException>(() => new BackgroundExecutor(config, null!));
        Assert.Contains("akka.bad.background-executor.thread-count", error.Message);
    }
}
