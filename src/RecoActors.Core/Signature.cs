namespace RecoActors.Core;

/// <summary>
/// A fixed pseudo-random ±1/√d vector per item id and model seed: the "index vector" of random indexing.
/// Signatures of different items are nearly orthogonal, so a profile (a weighted sum of them) remembers which items
/// went in, and two profiles that share items point the same way. Every node computes the same signature for an id.
/// </summary>
public static class Signature
{
    /// <summary>Writes the signature of <paramref name="key"/> into <paramref name="destination"/>.</summary>
    public static void Write(string key, int seed, Span<float> destination)
    {
        var value = 1f / MathF.Sqrt(destination.Length);
        var state = StableHash.Of(key, (ulong)(uint)seed);
        for (var i = 0; i < destination.Length; i += 64)
        {
            state += 0x9E3779B97F4A7C15UL;
            var bits = StableHash.Mix(state);
            var end = Math.Min(64, destination.Length - i);
            for (var b = 0; b < end; b++) destination[i + b] = ((bits >> b) & 1) == 0 ? value : -value;
        }
    }
}
