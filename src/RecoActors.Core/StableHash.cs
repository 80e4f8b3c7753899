namespace RecoActors.Core;

/// <summary>Hashes that are the same in every process and on every run (string.GetHashCode is not).</summary>
internal static class StableHash
{
    /// <summary>FNV-1a over the UTF-16 code units, then a SplitMix64 finaliser, mixed with a seed.</summary>
    public static ulong Of(ReadOnlySpan<char> text, ulong seed)
    {
        var h = 14695981039346656037UL ^ seed;
        foreach (var c in text)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return Mix(h);
    }

    /// <summary>SplitMix64's finaliser.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
