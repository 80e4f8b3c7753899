namespace RecoActors.Core;

/// <summary>
/// (score, item) pairs as one sortable key each, in the order <see cref="TopK"/> keeps: a higher score first, an equal
/// score with the lower item first. Items are distinct, so the order is total and the best k are one set, however
/// they are found.
/// </summary>
/// <remarks>
/// One <see cref="long"/> per pair sorts and selects with plain integer comparisons: a sort of value tuples through a
/// comparer called it once per comparison, and that was a fifth of ranking a co-visitation row.
/// </remarks>
internal static class Pairs
{
    /// <summary>The key of a pair: smaller keys are better pairs. <paramref name="score"/> must not be NaN; −0 counts as 0.</summary>
    public static long Key(float score, int item)
    {
        var bits = BitConverter.SingleToInt32Bits(score == 0 ? 0f : score);
        // Floats' bits ordered as integers (negatives flipped), then negated for best first; the item breaks ties.
        var ordered = bits >= 0 ? bits : bits ^ int.MaxValue;
        return ((long)~ordered << 32) | (uint)item;
    }

    /// <summary>The score of <paramref name="key"/>.</summary>
    public static float Score(long key)
    {
        var ordered = ~(int)(key >> 32);
        return BitConverter.Int32BitsToSingle(ordered >= 0 ? ordered : ordered ^ int.MaxValue);
    }

    /// <summary>The item of <paramref name="key"/>.</summary>
    public static int Item(long key) => (int)(uint)key;

    /// <summary>
    /// Moves the <paramref name="k"/> best keys to the front, the k-th best at <c>k − 1</c>, the rest after it, in no
    /// particular order (Hoare's selection: linear on average).
    /// </summary>
    public static void SelectBest(Span<long> keys, int k)
    {
        if (k <= 0 || k >= keys.Length) return;
        var (lo, hi, nth) = (0, keys.Length - 1, k - 1);
        while (lo < hi)
        {
            var (a, b, c) = (keys[lo], keys[lo + (hi - lo) / 2], keys[hi]);
            var pivot = Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
            var (i, j) = (lo, hi);
            while (i <= j)
            {
                while (keys[i] < pivot) i++;
                while (pivot < keys[j]) j--;
                if (i > j) break;
                (keys[i], keys[j]) = (keys[j], keys[i]);
                i++;
                j--;
            }
            // [lo, j] is no worse than the pivot, [i, hi] no better, and anything between them is the pivot itself.
            if (nth <= j) hi = j;
            else if (nth >= i) lo = i;
            else return;
        }
    }
}
