using System.Runtime.InteropServices;

namespace RecoActors.Runtime;

/// <summary>Lowers a thread's scheduling priority (the calling one, or one of the process's by id), where the platform lets an unprivileged process do so (Linux).</summary>
/// <remarks>
/// .NET ignores <see cref="Thread.Priority"/> on Linux, but Linux schedules each thread by its own nice value, and any
/// process may raise its threads' nice values. A woken thread at nice 0 preempts a running one at nice 19 at once, and
/// against it gets all but about 1.5% of a contended core (scheduler weights 1024 and 15); a thread at nice 19 still
/// has all of an idle core. At nice 10 (weight 110) the folds took a tenth of a contended core, and the actor client's
/// p99 under <c>reco bench serve</c> was 4.2–4.8 ms against 3.8–4.6 at nice 19 (five runs each, taking turns).
/// SCHED_IDLE went further and starved the folds of tests that keep both cores busy.
/// </remarks>
public static class BackgroundThread
{
    private const int PrioProcess = 0;

    /// <summary>Nice value given to background work (the model's folds, and the decoding of the partials they fold).</summary>
    public const int Nice = 19;

    [ThreadStatic] private static bool _lowered;

    /// <summary>Makes the calling thread yield to the node's other threads (once per thread); false where that is not possible.</summary>
    public static bool Lower() => _lowered = _lowered || TryLower(null);

    /// <summary>Lowers thread <paramref name="tid"/> of this process (Linux); false where that is not possible.</summary>
    public static bool Lower(int tid) => TryLower(tid);

    /// <summary>Sets thread <paramref name="tid"/> (null: the calling one) to <see cref="Nice"/>.</summary>
    private static bool TryLower(int? tid)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return SetPriority(PrioProcess, tid ?? GetTid(), Nice) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);
}
