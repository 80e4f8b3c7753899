using System.Runtime.InteropServices;

namespace RecoActors.Runtime;

/// <summary>Lowers a thread's scheduling priority (the calling one, or one of the process's by id), where the platform lets an unprivileged process do so (Linux).</summary>
/// <remarks>
/// <para>
/// .NET ignores <see cref="Thread.Priority"/> on Linux, but Linux schedules each thread by its own nice value, and any
/// process may raise its threads' nice values. Against a thread at nice 0 one at nice 19 gets about 1.5% of a contended
/// core (scheduler weights 1024 and 15), and still all of an idle core. At nice 10 (weight 110) the folds took a tenth
/// of a contended core, and the actor client's p99 under <c>reco bench serve</c> was 4.2–4.8 ms against 3.8–4.6 at
/// nice 19 (five runs each, taking turns). SCHED_IDLE went further and starved the folds of tests that keep both cores
/// busy: an unprivileged thread cannot leave that class again.
/// </para>
/// <para>
/// Weight alone does not let a woken thread take the core at once. Linux's scheduler (EEVDF, 6.6 on) lets the running
/// thread finish its slice (1.4 ms on two cores) unless the woken thread asks for a shorter one; since 6.12 a thread may
/// ask for its own (<c>sched_setattr</c>'s runtime, 0.1 to 100 ms). Background threads ask for the longest, so every
/// thread that a request wakes, at the default slice, preempts them. Under <c>reco bench serve</c> (seven runs each,
/// taking turns) every latency fell: the actor client's p99 2.88–3.35 → 2.45–3.13 ms, HTTP recommendations' 2.30–2.87 →
/// 1.92–2.38, <c>/healthz</c>'s alongside the client 1.22–1.71 → 1.15–1.61 (README, Benchmarks). Older kernels ignore
/// the slice.
/// </para>
/// </remarks>
public static class BackgroundThread
{
    private const int PrioProcess = 0, SchedOther = 0;

    /// <summary>Nice value given to background work (the model's folds and its snapshot store, the decoding of the partials they fold, the runtime's background collections).</summary>
    public const int Nice = 19;

    /// <summary>The scheduler slice background threads ask for: the longest Linux grants, so that any thread woken at the default slice preempts them.</summary>
    public static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

    [ThreadStatic] private static bool _lowered;

    /// <summary>Makes the calling thread yield to the node's other threads (once per thread); false where that is not possible.</summary>
    public static bool Lower() => _lowered = _lowered || TryLower(null);

    /// <summary>Lowers thread <paramref name="tid"/> of this process (Linux); false where that is not possible.</summary>
    public static bool Lower(int tid) => TryLower(tid);

    /// <summary>Sets thread <paramref name="tid"/> (null: the calling one) to <see cref="Nice"/> and <see cref="Slice"/>; the nice value alone where <c>sched_setattr</c> is not there.</summary>
    private static bool TryLower(int? tid)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var id = tid ?? GetTid();
            var attributes = new SchedAttributes { Size = SchedAttributes.SizeOfVersion1, Policy = SchedOther, Nice = Nice, Runtime = (ulong)(Slice.Ticks * 100) };
            return SchedSetAttr(id, ref attributes) == 0 || SetPriority(PrioProcess, id, Nice) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Thread <paramref name="tid"/>'s nice value and slice as the kernel holds them (<c>sched_getattr</c>); null where it does not say.</summary>
    internal static (int Nice, TimeSpan Slice)? Scheduling(int tid)
    {
        var attributes = new SchedAttributes();
        if (!OperatingSystem.IsLinux() || SchedCall(get: true) is not { } call ||
            Syscall(call, tid, ref attributes, SchedAttributes.SizeOfVersion1, 0) != 0) return null;
        return (attributes.Nice, TimeSpan.FromTicks((long)(attributes.Runtime / 100)));
    }

    /// <summary><c>sched_setattr(2)</c> through <c>syscall(2)</c> (glibc has no wrapper before 2.41); -1 on an architecture whose call number is not known here.</summary>
    private static long SchedSetAttr(int tid, ref SchedAttributes attributes) =>
        SchedCall(get: false) is { } call ? Syscall(call, tid, ref attributes, 0, 0) : -1;

    /// <summary>The call number of <c>sched_getattr</c> or <c>sched_setattr</c> on this architecture (x64 and arm64), or null.</summary>
    private static long? SchedCall(bool get) => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => get ? 315 : 314,
        Architecture.Arm64 => get ? 275 : 274,
        _ => null,
    };

    /// <summary>The kernel's <c>struct sched_attr</c>, first version (56 bytes); for a SCHED_OTHER thread <see cref="Runtime"/> is its slice in nanoseconds.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttributes
    {
        public const uint SizeOfVersion1 = 56;
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
        public uint UtilMin;
        public uint UtilMax;
    }

    /// <summary>
    /// <c>sched_getattr(tid, attributes, size, flags)</c>, or <c>sched_setattr(tid, attributes, flags)</c> with
    /// <paramref name="third"/> its flags (0; the struct carries its own size) and <paramref name="fourth"/> unused.
    /// </summary>
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, int tid, ref SchedAttributes attributes, uint third, uint fourth);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);
}
