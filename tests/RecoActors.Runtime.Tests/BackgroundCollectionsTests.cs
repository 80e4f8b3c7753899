namespace RecoActors.Runtime.Tests;

/// <summary>The runtime's background-collection threads are lowered like the node's own background work.</summary>
public class BackgroundCollectionsTests
{
    [Fact]
    public void Every_thread_named_as_the_runtime_names_its_background_collectors_ends_up_at_the_background_nice_value()
    {
        Assert.True(OperatingSystem.IsLinux(), "the node lowers threads on Linux, where it runs; this test checks that");
        // The test host collects without background threads of its own, so a thread stands in, named as the runtime names
        // them (a managed thread's name is its name in the kernel's view, where the node looks).
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var tid = 0;
        var standIn = new Thread(() =>
        {
            tid = int.Parse(File.ReadAllText("/proc/thread-self/stat").Split(' ')[0]);
            started.Set();
            release.Wait();
        }) { Name = ".NET BGC stand-in", IsBackground = true };
        standIn.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, NiceOf(tid));

        var lowered = BackgroundCollections.Lower();

        var collectors = Collectors();
        Assert.Contains(tid, collectors);
        Assert.Equal(collectors.Count, lowered);
        Assert.All(collectors, t => Assert.Equal(BackgroundThread.Nice, NiceOf(t)));
        release.Set();
        standIn.Join();
    }

    private static List<int> Collectors() =>
        [.. Directory.EnumerateDirectories("/proc/self/task")
            .Where(task => File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET BGC", StringComparison.Ordinal))
            .Select(task => int.Parse(Path.GetFileName(task)))];

    /// <summary>Field 19 of the thread's stat line (counted after the command, which is in parentheses).</summary>
    private static int NiceOf(int tid)
    {
        var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
    }
}
