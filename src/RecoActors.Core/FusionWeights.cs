namespace RecoActors.Core;

/// <summary>
/// How much each term of a fused score counts: the segment models' items, closeness to the user's profile, items
/// co-visited with the user's latest ones, and the same co-visitation among the user's segments' own users. Each
/// segment learns its own from its users' events; a user's are the blend of its memberships'.
/// </summary>
/// <param name="Segments">σ: the segment models' term Σ_k w_k·M_k(item).</param>
/// <param name="Personal">λ: the personal term cos(p, e(item)).</param>
/// <param name="Related">μ: the co-visitation term V(item), scaled so a query's best candidate has 1.</param>
/// <param name="Local">The segments' own co-visitation term Σ_k w_k·V_k(item), scaled alike.</param>
public sealed record FusionWeights(float Segments, float Personal, float Related, float Local)
{
    /// <summary>How many terms a score fuses.</summary>
    public const int Terms = 4;

    /// <summary>The weights a model starts from before it has learned any: the options' σ, λ, μ and local μ.</summary>
    public static FusionWeights Initial(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.SegmentWeight, options.PersonalWeight, options.CoVisitWeight, options.SegmentCoVisitWeight);
    }

    /// <summary>The weight of term <paramref name="t"/> (0 … <see cref="Terms"/> − 1).</summary>
    public float this[int t] => t switch
    {
        0 => Segments,
        1 => Personal,
        2 => Related,
        3 => Local,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, $"a score has {Terms} terms"),
    };

    /// <summary>
    /// One exponentiated-gradient step: each weight times exp(η·g_t), then all rescaled to their sum before the step
    /// (a ranking does not depend on the weights' scale). A weight at zero stays at zero (an ablation stays one).
    /// </summary>
    public FusionWeights Step(ReadOnlySpan<double> gradient, double rate)
    {
        if (gradient.Length != Terms) throw new ArgumentException($"a gradient of {gradient.Length} terms, not {Terms}", nameof(gradient));
        Span<double> next = stackalloc double[Terms];
        double before = 0, after = 0;
        for (var t = 0; t < Terms; t++)
        {
            before += this[t];
            next[t] = this[t] * Math.Exp(rate * gradient[t]);
            after += next[t];
        }
        if (after <= 0 || !double.IsFinite(after)) return this;
        var scale = before / after;
        return new((float)(next[0] * scale), (float)(next[1] * scale), (float)(next[2] * scale), (float)(next[3] * scale));
    }

    /// <summary>The memberships' blend of their segments' weights (Σ_k w_k·weights_k); with no memberships (no segment has users yet), the segments' mean.</summary>
    internal static FusionWeights Blend((int Segment, float Weight)[] memberships, IReadOnlyList<FusionWeights> bySegment)
    {
        if (memberships.Length == 0) return Blend([.. Enumerable.Range(0, bySegment.Count).Select(k => (k, 1f / bySegment.Count))], bySegment);
        float s = 0, p = 0, r = 0, l = 0;
        foreach (var (k, w) in memberships)
        {
            var x = bySegment[k];
            (s, p, r, l) = (s + w * x.Segments, p + w * x.Personal, r + w * x.Related, l + w * x.Local);
        }
        return new(s, p, r, l);
    }
}
