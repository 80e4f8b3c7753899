using System.Globalization;

namespace RecoActors.Runtime;

/// <summary>
/// Lowers the .NET runtime's background-collection threads (named <c>.NET BGC</c>) to <see cref="BackgroundThread.Nice"/>,
/// like the node's own background work (Linux; elsewhere it does nothing).
/// </summary>
/// <remarks>
/// A background gen2 collection marks the heap on those threads (one per heap under the server GC) for 100–170 ms
/// while the node runs on, every 6–10 s under <c>reco bench serve</c>. At normal priority they took cores from the
/// requests: a fifth of the actor client's slowest 1% fell within one. At nice 19 (three runs taking turns with three
/// at normal priority) 1–5 of the slowest 61 did instead of 9–13, and the client's p99 was 3.2–3.4 ms against
/// 3.3–3.9. The price is that a collection takes longer when the cores are busy (its windows 146–175 ms against
/// 104–153), and the heap grows meanwhile. The runtime makes the threads at its first background collection, so the
/// node looks for them again every few seconds (<see cref="RecoRuntime.Start"/>).
/// </remarks>
public static class BackgroundCollections
{
    private const string ThreadName = ".NET BGC";

    /// <summary>Lowers every background-collection thread; returns how many run at <see cref="BackgroundThread.Nice"/> now.</summary>
    public static int Lower()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var lowered = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(ThreadName, StringComparison.Ordinal)) continue;
                if (BackgroundThread.Lower(int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture))) lowered++;
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }
        return lowered;
    }
}
