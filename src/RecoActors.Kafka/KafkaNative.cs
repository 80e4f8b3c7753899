using System.Reflection;
using System.Runtime.InteropServices;

namespace RecoActors.Kafka;

/// <summary>
/// Loads the librdkafka that ships in the librdkafka.redist package, before any Kafka client is built, for
/// Confluent.Kafka and for the mock cluster's own C calls alike.
/// </summary>
/// <remarks>
/// Why not let Confluent.Kafka find it: the package's default Linux build (<c>librdkafka.so</c>) needs
/// <c>libsasl2.so.3</c>, which Debian 12 and Ubuntu 24.04 lack, and an operating-system librdkafka, if one is
/// installed, is silently preferred over the bundled one. So a resolver hands out the bundled file that loads
/// here (the default build, else <c>centos8-librdkafka.so</c>, which has no such dependency), and the version
/// that actually loaded is checked and reported.
/// </remarks>
public static class KafkaNative
{
    /// <summary>The librdkafka version this program is built and tested against.</summary>
    public const string ExpectedVersion = "2.16.0";

    private const string LibraryName = "librdkafka";
    private static readonly Lazy<(IntPtr Handle, string Path)> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _resolverSet;

    /// <summary>Loads librdkafka once; throws <see cref="InvalidOperationException"/> with the reason when it cannot.</summary>
    /// <returns>The file that was loaded.</returns>
    public static string EnsureLoaded()
    {
        if (Interlocked.Exchange(ref _resolverSet, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, Resolve);
            NativeLibrary.SetDllImportResolver(typeof(KafkaNative).Assembly, Resolve);
        }
        var path = Loaded.Value.Path;
        if (Confluent.Kafka.Library.VersionString != ExpectedVersion)
            throw new InvalidOperationException($"librdkafka {Confluent.Kafka.Library.VersionString} was loaded from '{path}', but {ExpectedVersion} is required");
        return path;
    }

    /// <summary>The loaded library's version and file, for the start-up log.</summary>
    public static string Describe() => $"librdkafka {Confluent.Kafka.Library.VersionString} ({Path.GetFileName(EnsureLoaded())})";

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibraryName || name.StartsWith(LibraryName + ".", StringComparison.Ordinal) ? Loaded.Value.Handle : IntPtr.Zero;

    private static (IntPtr, string) Load()
    {
        var tried = new List<string>();
        foreach (var path in Candidates())
        {
            if (!File.Exists(path)) continue;
            if (NativeLibrary.TryLoad(path, out var handle)) return (handle, path);
            tried.Add(path);
        }
        throw new InvalidOperationException(tried.Count == 0
            ? $"the bundled librdkafka (package librdkafka.redist) is not next to the program in '{AppContext.BaseDirectory}'; rebuild or republish it"
            : $"none of the bundled librdkafka builds loads on this system (tried {string.Join(", ", tried)})");
    }

    /// <summary>Where a build (runtimes/RID/native) or a RID-specific publish (beside the program) puts the files.</summary>
    private static IEnumerable<string> Candidates()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var file = os switch { "win" => "librdkafka.dll", "osx" => "librdkafka.dylib", _ => "librdkafka.so" };
        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", $"{os}-{arch}", "native");
        foreach (var folder in new[] { native, AppContext.BaseDirectory })
        {
            yield return Path.Combine(folder, file);
            if (os == "linux") yield return Path.Combine(folder, "centos8-librdkafka.so");
        }
    }
}
