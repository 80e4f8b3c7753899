using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RecoActors.Core;

/// <summary>
/// Unit vectors stored as signed bytes (component × 127) for the nearest-item scan: a quarter of the memory to
/// stream per query, with exact float scores computed afterwards for the few candidates that pass.
/// Integer arithmetic, so every machine ranks the same.
/// </summary>
internal static class Quantized
{
    /// <summary>The scale a unit component is multiplied by.</summary>
    public const float Scale = 127f;

    /// <summary>Quantizes a float row (components in [−1, 1]) into <paramref name="destination"/>.</summary>
    public static void Write(ReadOnlySpan<float> values, Span<sbyte> destination)
    {
        for (var i = 0; i < values.Length; i++) destination[i] = (sbyte)Math.Clamp(MathF.Round(values[i] * Scale), -127, 127);
    }

    /// <summary>The query as 16-bit integers, so products of a row and the query fit pairwise adds.</summary>
    public static short[] Query(ReadOnlySpan<float> unit)
    {
        var result = new short[unit.Length];
        for (var i = 0; i < unit.Length; i++) result[i] = (short)Math.Clamp(MathF.Round(unit[i] * Scale), -127, 127);
        return result;
    }

    /// <summary>
    /// A bound on |u·x − Dot(row, query)/Scale²| for unit vectors u and x of <paramref name="query"/>'s length, quantized
    /// by <see cref="Query"/> and <see cref="Write"/>: the bound on the error the nearest-item scan's estimate makes.
    /// </summary>
    /// <remarks>
    /// With u_i = q_i/S + a_i and x_i = r_i/S + b_i, rounding keeps |a_i|, |b_i| ≤ 1/(2S), and
    /// u_i·x_i − q_i·r_i/S² = (q_i/S)·b_i + (r_i/S)·a_i + a_i·b_i; summed, at most (‖q‖₁ + ‖r‖₁)/(2S²) + d/(4S²),
    /// where ‖r‖₁ ≤ S·‖x‖₁ + d/2 ≤ S·√d + d/2 for any unit x.
    /// </remarks>
    public static float ErrorBound(ReadOnlySpan<short> query)
    {
        var d = query.Length;
        var q = 0;
        foreach (var c in query) q += Math.Abs((int)c);
        var r = Scale * MathF.Sqrt(d) + d / 2f;
        return (q + r) / (2 * Scale * Scale) + d / (4 * Scale * Scale);
    }

    /// <summary>
    /// <see cref="Dot"/> of each row of <paramref name="block"/> (rows of the query's length, one after another) with
    /// the query, into <paramref name="dots"/>.
    /// </summary>
    public static void Dots(ReadOnlySpan<sbyte> block, ReadOnlySpan<short> query, Span<int> dots)
    {
        var d = query.Length;
        ArgumentOutOfRangeException.ThrowIfZero(d);
        var rows = block.Length / d;
        if (Avx512BW.IsSupported && d % 32 == 0)
        {
            // 32 components at a time, widened to 16 bits and multiplied pairwise: at d = 64 a row (one cache line) takes
            // two steps, where 256-bit vectors took four. The scan's dots were a tenth of a ranking.
            ref var r = ref MemoryMarshal.GetReference(block);
            ref var q = ref MemoryMarshal.GetReference(query);
            for (var row = 0; row < rows; row++)
            {
                var acc = Vector512<int>.Zero;
                var at = (nuint)(row * d);
                for (var i = 0; i < d; i += 32)
                {
                    var widened = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref r, at + (nuint)i));
                    acc = Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(widened, Vector512.LoadUnsafe(ref q, (nuint)i)));
                }
                dots[row] = Vector256.Sum(acc.GetLower() + acc.GetUpper());
            }
            return;
        }
        for (var row = 0; row < rows; row++) dots[row] = Dot(block.Slice(row * d, d), query);
    }

    /// <summary>Σ row[i]·query[i], in integers.</summary>
    public static int Dot(ReadOnlySpan<sbyte> row, ReadOnlySpan<short> query)
    {
        var i = 0;
        var sum = 0;
        if (Avx2.IsSupported && row.Length >= 16)
        {
            ref var r = ref MemoryMarshal.GetReference(row);
            ref var q = ref MemoryMarshal.GetReference(query);
            var acc = Vector256<int>.Zero;
            for (; i + 16 <= row.Length; i += 16)
            {
                var widened = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref r, (nuint)i));
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(widened, Vector256.LoadUnsafe(ref q, (nuint)i)));
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < row.Length; i++) sum += row[i] * query[i];
        return sum;
    }
}
