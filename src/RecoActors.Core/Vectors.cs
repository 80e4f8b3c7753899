using System.Numerics.Tensors;

namespace RecoActors.Core;

/// <summary>The few vector operations the model needs, on float spans (SIMD through TensorPrimitives).</summary>
public static class Vectors
{
    /// <summary>Norms below this are treated as zero: the vector has no direction.</summary>
    public const float Epsilon = 1e-12f;

    /// <summary>x · y.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => TensorPrimitives.Dot(x, y);

    /// <summary>‖x‖₂.</summary>
    public static float Norm(ReadOnlySpan<float> x) => TensorPrimitives.Norm(x);

    /// <summary>‖x − y‖₂².</summary>
    public static float SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var d = TensorPrimitives.Distance(x, y);
        return d * d;
    }

    /// <summary>Cosine of the angle between x and y; 0 when either has no direction.</summary>
    public static float Cosine(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var n = Norm(x) * Norm(y);
        return n < Epsilon ? 0f : Dot(x, y) / n;
    }

    /// <summary>y ← y + a·x.</summary>
    public static void AddScaled(Span<float> y, ReadOnlySpan<float> x, float a) => TensorPrimitives.MultiplyAdd(x, a, y, y);

    /// <summary>x ← a·x.</summary>
    public static void Scale(Span<float> x, float a) => TensorPrimitives.Multiply(x, a, x);

    /// <summary>Writes x/‖x‖ into <paramref name="destination"/>; returns false (and writes zeros) when x has no direction.</summary>
    public static bool Normalize(ReadOnlySpan<float> x, Span<float> destination)
    {
        var n = Norm(x);
        if (n < Epsilon)
        {
            destination.Clear();
            return false;
        }
        TensorPrimitives.Multiply(x, 1f / n, destination);
        return true;
    }
}
