namespace RecoActors.Core;

/// <summary>
/// The plane that shows the most of a cloud of points: its first two principal components (power iteration on the
/// covariance, the second after deflating the first), for pictures of the profile space.
/// </summary>
public sealed class Projection2D
{
    private readonly float[] _mean, _first, _second;

    private Projection2D(float[] mean, float[] first, float[] second)
    {
        _mean = mean;
        _first = first;
        _second = second;
    }

    /// <summary>Fits the plane to <paramref name="points"/> (each of the same dimension; at least one).</summary>
    public static Projection2D Fit(IReadOnlyList<float[]> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) throw new ArgumentException("no points to fit", nameof(points));
        var d = points[0].Length;
        var mean = new float[d];
        foreach (var p in points) Vectors.AddScaled(mean, p, 1f / points.Count);
        var covariance = new double[d, d];
        var centred = new float[d];
        foreach (var p in points)
        {
            for (var i = 0; i < d; i++) centred[i] = p[i] - mean[i];
            for (var i = 0; i < d; i++)
                for (var j = 0; j < d; j++) covariance[i, j] += centred[i] * centred[j];
        }
        var first = Principal(covariance, d, null);
        var second = Principal(covariance, d, first);
        return new Projection2D(mean, first, second);
    }

    /// <summary>Where <paramref name="point"/> lands on the plane.</summary>
    public (float X, float Y) Project(ReadOnlySpan<float> point)
    {
        Span<float> centred = stackalloc float[_mean.Length];
        for (var i = 0; i < centred.Length; i++) centred[i] = point[i] - _mean[i];
        return (Vectors.Dot(centred, _first), Vectors.Dot(centred, _second));
    }

    private static float[] Principal(double[,] covariance, int d, float[]? orthogonalTo)
    {
        // A fixed start, so the same cloud gives the same picture.
        var v = Enumerable.Range(0, d).Select(i => 1.0 + i % 3).ToArray();
        var next = new double[d];
        for (var iteration = 0; iteration < 100; iteration++)
        {
            if (orthogonalTo is not null) RemoveComponent(v, orthogonalTo);
            for (var i = 0; i < d; i++)
            {
                double s = 0;
                for (var j = 0; j < d; j++) s += covariance[i, j] * v[j];
                next[i] = s;
            }
            if (orthogonalTo is not null) RemoveComponent(next, orthogonalTo);
            var norm = Math.Sqrt(next.Sum(x => x * x));
            if (norm < 1e-12) break;
            for (var i = 0; i < d; i++) v[i] = next[i] / norm;
        }
        return [.. v.Select(x => (float)x)];
    }

    private static void RemoveComponent(double[] v, float[] unit)
    {
        double dot = 0;
        for (var i = 0; i < v.Length; i++) dot += v[i] * unit[i];
        for (var i = 0; i < v.Length; i++) v[i] -= dot * unit[i];
    }
}
