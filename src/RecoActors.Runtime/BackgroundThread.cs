using System.Runtime.InteropServices;

namespace RecoActors.Runtime;

/// <summary>Lowers the calling thread's scheduling priority, where the platform lets an unprivileged process do so (Linux).</summary>
/// <remarks>
/// .NET ignores <see cref="Thread.Priority"/> on Linux, but Linux schedules each thread by its own nice value, and any
/// process may raise its threads' nice values. A thread at nice 10 gets about a tenth of a contended core against
/// threads at nice 0, and all of an idle one.
/// </remarks>
internal static class BackgroundThread
{
    private const int PrioProcess = 0;

    /// <summary>Nice value given to background work (the model's folds).</summary>
    public const int Nice = 10;

    /// <summary>Makes the calling thread yield to the node's other threads; false where that is not possible.</summary>
    public static bool Lower()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return SetPriority(PrioProcess, GetTid(), Nice) == 0;
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
