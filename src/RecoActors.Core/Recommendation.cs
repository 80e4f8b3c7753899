namespace RecoActors.Core;

/// <summary>A personal ranking and why.</summary>
/// <param name="Items">Best first.</param>
/// <param name="ColdStart">True when the user had no usable history and popularity answered.</param>
/// <param name="Memberships">The user's soft segment memberships (weights sum to 1); empty on cold start.</param>
public sealed record Recommendation(IReadOnlyList<RankedItem> Items, bool ColdStart, IReadOnlyList<SegmentShare> Memberships)
{
    /// <summary>The weights the user's score fused its terms with (its memberships' blend of their segments' learned weights); null on cold start.</summary>
    public FusionWeights? Weights { get; init; }
}

/// <summary>One recommended item: its score is the sum of its segment contributions and the two personal terms.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">σ·Σ_k w_k·M_k(item) + λ·cos(p, e(item)) + μ·V(item) + ν·Σ_k w_k·V_k(item), or the popularity score on cold start.</param>
/// <param name="Personal">λ·cos(p, e(item)): closeness to the user's whole profile.</param>
/// <param name="Related">μ·V(item): how often the item was taken close to the user's latest positive items.</param>
/// <param name="Segments">Per chosen segment that knows the item, σ·w_k·M_k(item) + ν·w_k·V_k(item): its popular items' and its own neighbours' terms.</param>
public sealed record RankedItem(string ItemId, float Score, float Personal, float Related, IReadOnlyList<SegmentShare> Segments);

/// <summary>A segment and an amount (a membership weight, or a contribution to a score).</summary>
/// <param name="Segment">Segment number.</param>
/// <param name="Amount">The amount.</param>
public sealed record SegmentShare(int Segment, float Amount);
