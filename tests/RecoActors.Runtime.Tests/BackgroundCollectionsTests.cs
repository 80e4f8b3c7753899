namespace RecoActors.Runtime.Tests;

/// <summary>The runtime's background-collection threads are lowered like the node's own background work.</summary>
public class BackgroundCollectionsTests
{
    [Fact]
    public void Every_thread_named_as_the_runtime_names_its_background_collectors_ends_up_at_the_background_nice_value()
    {
        Assert.True(OperatingSystem.IsLinux(), "the node lowers threads on Linux, where it runs; this test checks that");
        // A thread stands in for the runtime's collectors, named as the runtime names them (a managed thread's name is its
        // name in the kernel's view, where the node looks): the test host's own come and go, as a collector ends after
        // a while idle and the next background collection makes another.
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

        var before = Collectors();
        var lowered = BackgroundCollections.Lower();
        var after = Collectors();

        Assert.Contains(tid, after);
        // Counted: every collector there throughout, and at most those there at either end.
        var throughout = before.Intersect(after).ToList();
        Assert.InRange(lowered, throughout.Count, before.Union(after).Count());
        Assert.All(throughout, t => Assert.True(NiceOf(t) is null or BackgroundThread.Nice, $"thread {t} is at nice {NiceOf(t)}"));
        Assert.Equal(BackgroundThread.Nice, NiceOf(tid));
        release.Set();
        standIn.Join();
    }

    private static List<int> Collectors() =>
        [.. Directory.EnumerateDirectories("/proc/self/task")
            .Where(task => CommandOf(task)?.StartsWith(".NET BGC", StringComparison.Ordinal) == true)
            .Select(task => int.Parse(Path.GetFileName(task)))];

    /// <summary>The thread's name, or null if it ended after the listing (as a collector may, in the same race <see cref="NiceOf"/> meets).</summary>
    private static string? CommandOf(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Field 19 of the thread's stat line (counted after the command, which is in parentheses); null once the thread has ended.</summary>
    private static int? NiceOf(int tid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
    }
}
