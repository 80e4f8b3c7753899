using System.Runtime.InteropServices;

namespace RecoActors.Kafka;

/// <summary>Finds the native librdkafka before any Kafka client is built.</summary>
/// <remarks>
/// The librdkafka.redist package is not served here, so the library comes from the operating system
/// (Debian's librdkafka-dev). Loading it up front turns a DllNotFoundException deep in a client into
/// a sentence that says what to install.
/// </remarks>
public static class KafkaNative
{
    private static readonly Lazy<string> LoadedPath = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The names tried, most specific first.</summary>
    private static readonly string[] Candidates = ["librdkafka.so.1", "librdkafka.so", "librdkafka.dylib", "librdkafka.dll", "librdkafka"];

    /// <summary>Loads librdkafka once; throws <see cref="InvalidOperationException"/> naming the fix when it is missing.</summary>
    /// <returns>The name under which the library was found.</returns>
    public static string EnsureLoaded() => LoadedPath.Value;

    private static string Load()
    {
        foreach (var name in Candidates)
        {
            // Only a probe: Confluent.Kafka's own loader finds the same library by its default name, while its
            // Library.Load(path) goes through libdl, which is not resolvable by that name on newer glibc.
            if (NativeLibrary.TryLoad(name, out _)) return name;
        }
        throw new InvalidOperationException(
            "librdkafka (the native Kafka client) is not installed. On Debian or Ubuntu run " +
            "'sudo apt-get install -y librdkafka-dev' (or './reco', which installs it), then start again.");
    }
}
