namespace RecoActors.Runtime.Tests;

/// <summary>A background thread runs at the background nice value and asks the scheduler for the long slice.</summary>
public class BackgroundThreadTests
{
    [Fact]
    public void A_thread_that_lowers_itself_runs_at_the_background_nice_value_with_the_long_slice()
    {
        var (nice, slice) = OnThread(() => BackgroundThread.Lower(), self: true);

        Assert.Equal(BackgroundThread.Nice, nice);
        Assert.Equal(BackgroundThread.Slice, slice);
    }

    [Fact]
    public void A_thread_lowered_by_its_id_runs_at_the_background_nice_value_with_the_long_slice()
    {
        var (nice, slice) = OnThread(() => true, self: false);

        Assert.Equal(BackgroundThread.Nice, nice);
        Assert.Equal(BackgroundThread.Slice, slice);
    }

    /// <summary>The calling thread's id in the kernel, read from <c>/proc</c> (not through the code under test).</summary>
    internal static int CurrentTid() => int.Parse(File.ReadAllText("/proc/thread-self/stat").Split(' ')[0]);

    /// <summary>
    /// Runs <paramref name="lower"/> on a new thread (or, unless <paramref name="self"/>, lowers that thread by its id from
    /// here) and reads back the thread's nice value and slice as the kernel holds them (<c>sched_getattr</c>).
    /// </summary>
    private static (int Nice, TimeSpan Slice) OnThread(Func<bool> lower, bool self)
    {
        Assert.True(OperatingSystem.IsLinux(), "the node lowers threads on Linux, where it runs; this test checks that");
        Assert.True(Environment.OSVersion.Version >= new Version(6, 12), $"a thread's own slice needs Linux 6.12 or later (this is {Environment.OSVersion.Version})");
        using var ready = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var (tid, lowered) = (0, false);
        var thread = new Thread(() =>
        {
            tid = CurrentTid();
            if (self) lowered = lower();
            ready.Set();
            release.Wait();
        }) { IsBackground = true };
        thread.Start();
        Assert.True(ready.Wait(TimeSpan.FromSeconds(10)));
        if (!self) lowered = BackgroundThread.Lower(tid);
        try
        {
            Assert.True(lowered);
            var scheduling = BackgroundThread.Scheduling(tid);
            Assert.NotNull(scheduling);
            return scheduling.Value;
        }
        finally
        {
            release.Set();
            thread.Join();
        }
    }
}
