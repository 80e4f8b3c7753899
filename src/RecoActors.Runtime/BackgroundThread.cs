using System.Runtime.InteropServices;

namespace RecoActors.Runtime;

/// <summary>Lowers the calling thread's scheduling priority, where the platform lets an unprivileged process do so (Linux).</summary>
/// <remarks>
/// .NET ignores <see cref="Thread.Priority"/> on Linux, but Linux schedules each thread by its own nice value, and any
/// process may raise its threads' nice values. A woken thread at nice 0 preempts a running one at nice 10 at once, and
/// against it gets about nine tenths of a contended core; a thread at nice 10 still has all of an idle core.
/// </remarks>
public static class BackgroundThread
{
    private const int PrioProcess = 0;

    /// <summary>Nice value given to background work (the model's folds, and the decoding of the partials they fold).</summary>
    public const int Nice = 10;

    [ThreadStatic] private static bool _lowered;

    /// <summary>Makes the calling thread yield to the node's other threads (once per thread); false where that is not possible.</summary>
    public static bool Lower()
    {
        if (_lowered) return true;
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            _lowered = SetPriority(PrioProcess, GetTid(), Nice) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return _lowered;
    }

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);
}
