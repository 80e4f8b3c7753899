namespace RecoActors.Core.Tests;

/// <summary>
/// A ranking scores exactly only the candidates that the scan's quantized dots leave a chance of reaching the top; it
/// must still be the exact ranking, and that rests on <see cref="Quantized.ErrorBound"/> bounding the quantized dot's error.
/// </summary>
public class RankingBoundTests
{
    [Fact]
    public void The_quantized_dot_is_within_its_bound_of_the_float_dot()
    {
        var rng = new Random(11);
        foreach (var d in new[] { 16, 64, 384 })
        {
            var (row, worst) = (new sbyte[d], 0.0);
            for (var n = 0; n < 20_000; n++)
            {
                var (u, x) = (Unit(rng, d, n % 4), Unit(rng, d, n / 4 % 4));
                Quantized.Write(x, row);
                var query = Quantized.Query(u);
                var exact = 0.0;
                for (var i = 0; i < d; i++) exact += (double)u[i] * x[i];
                var error = Math.Abs(exact - Quantized.Dot(row, query) / (double)(Quantized.Scale * Quantized.Scale));
                Assert.True(error <= Quantized.ErrorBound(query), $"d={d}: error {error} above the bound {Quantized.ErrorBound(query)}");
                worst = Math.Max(worst, error / Quantized.ErrorBound(query));
            }
            // The bound is not so loose that it would filter nothing.
            Assert.InRange(worst, 0.01, 1.0);
        }
    }

    [Fact]
    public void The_scan_dots_a_block_of_rows_as_each_row_alone()
    {
        var rng = new Random(12);
        foreach (var d in new[] { 16, 48, 64, 384 })
        {
            var block = new sbyte[37 * d];
            var query = new short[d];
            for (var i = 0; i < block.Length; i++) block[i] = (sbyte)rng.Next(-127, 128);
            for (var i = 0; i < d; i++) query[i] = (short)rng.Next(-127, 128);
            // The extremes too: every product at its largest, of either sign.
            block.AsSpan(0, d).Fill(127);
            block.AsSpan(d, d).Fill(-127);
            query.AsSpan(0, d / 2).Fill(127);
            var dots = new int[37];
            Quantized.Dots(block, query, dots);
            for (var row = 0; row < dots.Length; row++)
            {
                var expected = 0;
                for (var i = 0; i < d; i++) expected += block[row * d + i] * query[i];
                Assert.Equal(expected, dots[row]);
            }
        }
    }

    [Fact]
    public void A_ranking_is_the_best_of_every_candidate_scored_exactly()
    {
        var r = new Recommender(new ModelOptions { Segments = 8, NearestSegments = 3 }, 500);
        foreach (var e in Streams.Grouped(60_000, users: 300, items: 4_000, groups: 8)) r.Apply(e);
        r.Flush();
        var compared = 0;
        foreach (var (_, profile) in r.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            // Asked for more than there are candidates, every candidate is scored exactly.
            var all = Fusion.Rank(profile, r.Snapshot, int.MaxValue, null);
            foreach (var n in new[] { 1, 10, 50 })
            {
                if (all.Length <= n) continue;
                Assert.Equal(all.Take(n), Fusion.Rank(profile, r.Snapshot, n, null));
                compared++;
            }
        }
        Assert.True(compared > 600, $"only {compared} rankings had more candidates than they asked for");
    }

    /// <summary>A random unit vector: spread over every component, on a few, on one, or with components just off a rounding step.</summary>
    private static float[] Unit(Random rng, int d, int shape)
    {
        var v = new float[d];
        for (var i = 0; i < d; i++)
            v[i] = shape switch
            {
                0 => (float)(rng.NextDouble() * 2 - 1),
                1 => i < 3 ? (float)rng.NextDouble() + 0.1f : 0f,
                2 => i == 0 ? 1f : 0f,
                _ => (rng.Next(-20, 21) + 0.5f) / Quantized.Scale * (1 + 1e-4f),
            };
        Vectors.Normalize(v, v);
        return v;
    }
}
