namespace RecoActors.Core;

/// <summary>
/// Blends the segment models with the user's own profile into a personal ranking:
/// soft membership w_k ∝ exp(−β‖p − c_k‖²) over the nearest segments; candidates = their top items plus the items
/// nearest the profile; score = Σ_k w_k·M_k(item) + λ·cos(p, e(item)); seen items never come back; optional
/// MMR re-ranking for diversity. A user with no direction gets popularity (cold start).
/// </summary>
public static class Fusion
{
    /// <summary>Ranks items for a profile (null: an unknown user).</summary>
    /// <param name="profile">The user's profile, or <see langword="null"/> for a user with no events.</param>
    /// <param name="snapshot">The model version to read.</param>
    /// <param name="count">How many items to return at most.</param>
    /// <param name="exclude">Further items never to return (besides the profile's seen items).</param>
    /// <param name="diversity">MMR trade-off μ in [0, 1): 0 ranks by score alone.</param>
    public static Recommendation Recommend(Profile? profile, ModelSnapshot snapshot, int count, IReadOnlySet<int>? exclude = null, float diversity = 0f)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (diversity is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(diversity), diversity, "must be in [0, 1)");

        var d = snapshot.Options.Dimension;
        var unit = new float[d];
        if (profile is null || !Vectors.Normalize(profile.Vector, unit))
            return ColdStart(profile, snapshot, count, exclude);

        var memberships = Memberships(unit, snapshot);
        var ranked = Rank(unit, memberships, profile, snapshot, diversity > 0 ? count * 3 : count, exclude);
        if (diversity > 0) ranked = Diversify(ranked, snapshot, count, diversity);

        var lambda = snapshot.Options.PersonalWeight;
        var items = new RankedItem[ranked.Length];
        for (var r = 0; r < ranked.Length; r++)
        {
            var (item, score) = ranked[r];
            var shares = new List<SegmentShare>(memberships.Length);
            foreach (var (k, w) in memberships)
                if (snapshot.Items[k].Lookup.TryGetValue(item, out var m)) shares.Add(new SegmentShare(k, w * m));
            items[r] = new RankedItem(snapshot.ItemId(item), score, lambda * Vectors.Dot(unit, snapshot.ItemVector(item)), shares);
        }
        return new Recommendation(items, false, [.. memberships.Select(m => new SegmentShare(m.Segment, m.Weight))]);
    }

    /// <summary>The ranked item indexes and scores, without explanations: the fast path for evaluation.</summary>
    public static (int Item, float Score)[] Rank(Profile? profile, ModelSnapshot snapshot, int count, IReadOnlySet<int>? exclude)
    {
        var unit = new float[snapshot.Options.Dimension];
        if (profile is null || !Vectors.Normalize(profile.Vector, unit)) return Popular(profile, snapshot, count, exclude);
        return Rank(unit, Memberships(unit, snapshot), profile, snapshot, count, exclude);
    }

    /// <summary>w_k ∝ exp(−β‖p − c_k‖²) over the nearest few segments that hold any weight, summing to 1.</summary>
    internal static (int Segment, float Weight)[] Memberships(ReadOnlySpan<float> unit, ModelSnapshot snapshot)
    {
        var options = snapshot.Options;
        var nearest = new TopK(options.NearestSegments);
        for (var k = 0; k < snapshot.SegmentCount; k++)
            if (snapshot.Weights[k] > 0) nearest.Offer(k, -Vectors.SquaredDistance(unit, snapshot.Centroid(k)));
        var chosen = nearest.Drain();
        if (chosen.Length == 0) return [];
        var closest = -chosen[0].Score;
        var result = new (int, float)[chosen.Length];
        var total = 0f;
        for (var i = 0; i < chosen.Length; i++)
        {
            // Shifted by the closest distance so exp never underflows to all zeros.
            var w = MathF.Exp(-options.MembershipSharpness * (-chosen[i].Score - closest));
            result[i] = (chosen[i].Item, w);
            total += w;
        }
        for (var i = 0; i < result.Length; i++) result[i].Item2 /= total;
        return result;
    }

    /// <summary>The items a user's ranking is chosen from: the chosen segments' top items and the items nearest the profile, minus seen and excluded items.</summary>
    internal static HashSet<int> Candidates(Profile profile, ModelSnapshot snapshot, IReadOnlySet<int>? exclude)
    {
        var unit = new float[snapshot.Options.Dimension];
        if (!Vectors.Normalize(profile.Vector, unit))
            return [.. Popular(profile, snapshot, int.MaxValue, exclude).Select(p => p.Item)];
        return Candidates(unit, Memberships(unit, snapshot), profile, snapshot, exclude);
    }

    private static HashSet<int> Candidates(float[] unit, (int Segment, float Weight)[] memberships, Profile profile,
        ModelSnapshot snapshot, IReadOnlySet<int>? exclude)
    {
        bool Allowed(int item) => !profile.Seen.Contains(item) && (exclude is null || !exclude.Contains(item));

        var candidates = new HashSet<int>();
        foreach (var (k, _) in memberships)
            foreach (var (item, _) in snapshot.Items[k].Ranked)
                if (Allowed(item)) candidates.Add(item);
        // The scan over the whole catalog reads bytes, not floats; candidates are scored exactly afterwards.
        var near = new TopK(snapshot.Options.NearestItems);
        var rows = snapshot.QuantizedItemVectors.AsSpan();
        var query = Quantized.Query(unit);
        var d = snapshot.Options.Dimension;
        var bar = Math.Max(0f, near.Bar);
        for (var item = 0; item < snapshot.ItemCount; item++)
        {
            var dot = Quantized.Dot(rows.Slice(item * d, d), query);
            if (dot <= bar || !Allowed(item)) continue;
            near.Offer(item, dot);
            bar = Math.Max(0f, near.Bar);
        }
        foreach (var (item, _) in near.Drain()) candidates.Add(item);
        return candidates;
    }

    private static (int Item, float Score)[] Rank(float[] unit, (int Segment, float Weight)[] memberships, Profile profile,
        ModelSnapshot snapshot, int count, IReadOnlySet<int>? exclude)
    {
        var lambda = snapshot.Options.PersonalWeight;
        var top = new TopK(count);
        foreach (var item in Candidates(unit, memberships, profile, snapshot, exclude))
        {
            var score = lambda * Vectors.Dot(unit, snapshot.ItemVector(item));
            foreach (var (k, w) in memberships)
                if (snapshot.Items[k].Lookup.TryGetValue(item, out var m)) score += w * m;
            top.Offer(item, score);
        }
        return top.Drain();
    }

    private static (int Item, float Score)[] Diversify((int Item, float Score)[] ranked, ModelSnapshot snapshot, int count, float mu)
    {
        var chosen = new List<(int Item, float Score)>(count);
        var left = ranked.ToList();
        while (chosen.Count < count && left.Count > 0)
        {
            var best = 0;
            var bestValue = float.NegativeInfinity;
            for (var i = 0; i < left.Count; i++)
            {
                var similarity = 0f;
                foreach (var c in chosen)
                    similarity = Math.Max(similarity, Vectors.Dot(snapshot.ItemVector(left[i].Item), snapshot.ItemVector(c.Item)));
                var value = (1 - mu) * left[i].Score - mu * similarity;
                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }
            chosen.Add(left[best]);
            left.RemoveAt(best);
        }
        return [.. chosen];
    }

    private static Recommendation ColdStart(Profile? profile, ModelSnapshot snapshot, int count, IReadOnlySet<int>? exclude)
    {
        var ranked = Popular(profile, snapshot, count, exclude);
        return new Recommendation([.. ranked.Select(r => new RankedItem(snapshot.ItemId(r.Item), r.Score, 0f, []))], true, []);
    }

    private static (int Item, float Score)[] Popular(Profile? profile, ModelSnapshot snapshot, int count, IReadOnlySet<int>? exclude)
    {
        var result = new List<(int, float)>(Math.Min(count, snapshot.Popular.Ranked.Length));
        foreach (var (item, score) in snapshot.Popular.Ranked)
        {
            if (result.Count == count) break;
            if (item >= snapshot.ItemCount || profile?.Seen.Contains(item) == true || exclude?.Contains(item) == true) continue;
            result.Add((item, score));
        }
        return [.. result];
    }
}
