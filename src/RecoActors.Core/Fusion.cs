namespace RecoActors.Core;

/// <summary>
/// Blends the segment models with the user's own history into a personal ranking:
/// soft membership w_k ∝ exp(−β‖p − c_k‖²) over the nearest segments; candidates = their top items, the items
/// nearest the profile, and the items most co-visited with the user's latest positive items;
/// score = σ·Σ_k w_k·M_k(item) + λ·cos(p, e(item)) + μ·V(item); seen items never come back; optional MMR
/// re-ranking for diversity. A user with no direction gets popularity (cold start).
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

        if (Query.Of(profile, snapshot, exclude) is not { } query)
        {
            var popular = Popular(profile, snapshot, count, exclude);
            return new Recommendation([.. popular.Select(r => new RankedItem(snapshot.ItemId(r.Item), r.Score, 0f, 0f, []))], true, []);
        }
        var ranked = query.Rank(diversity > 0 ? count * 3 : count);
        if (diversity > 0) ranked = Diversify(ranked, snapshot, count, diversity);

        var items = new RankedItem[ranked.Length];
        for (var r = 0; r < ranked.Length; r++)
        {
            var (item, score) = ranked[r];
            items[r] = new RankedItem(snapshot.ItemId(item), score, query.PersonalTerm(item), query.RelatedTerm(item), query.SegmentShares(item));
        }
        return new Recommendation(items, false, [.. query.Memberships.Select(m => new SegmentShare(m.Segment, m.Weight))]);
    }

    /// <summary>The ranked item indexes and scores, without explanations: the fast path for evaluation.</summary>
    public static (int Item, float Score)[] Rank(Profile? profile, ModelSnapshot snapshot, int count, IReadOnlySet<int>? exclude) =>
        Query.Of(profile, snapshot, exclude) is { } query ? query.Rank(count) : Popular(profile, snapshot, count, exclude);

    /// <summary>The items a user's ranking is chosen from (for tests): popularity on cold start.</summary>
    internal static HashSet<int> Candidates(Profile profile, ModelSnapshot snapshot, IReadOnlySet<int>? exclude) =>
        Query.Of(profile, snapshot, exclude) is { } query ? [.. query.Candidates().ToArray()] : [.. Popular(profile, snapshot, int.MaxValue, exclude).Select(p => p.Item)];

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

    /// <summary>
    /// A thread's working table for its queries, reused: one entry per item a query touches (its co-visitation sum and
    /// its segments' terms), found through arrays indexed by item and stamped with the query, so nothing is hashed and
    /// nothing is cleared between queries.
    /// </summary>
    /// <remarks>
    /// Allocating a ranking's tables per request (about 110 kB) was most of what a serving node allocated; hashed
    /// tables reused and cleared per query still spent a third of a ranking hashing and zeroing them.
    /// </remarks>
    private sealed class Scratch
    {
        [ThreadStatic] private static Scratch? t_current;

        private int[] _stamp = [], _entryOf = [];
        private int _query;

        /// <summary>The entries of this query, in the order first touched: item, co-visitation sum, and per segment slot its term (if the item is in that segment's top).</summary>
        public int Count;
        public int[] Items = new int[1024];
        public float[] Related = new float[1024];
        public float[] SegmentTerm = [];
        public bool[] InSegment = [];
        public int Slots;

        /// <summary>This thread's table, empty, for a query over <paramref name="slots"/> segments. A query uses it only until its ranking returns (nothing ranks re-entrantly).</summary>
        public static Scratch Take(int slots)
        {
            var scratch = t_current ??= new Scratch();
            scratch.Count = 0;
            scratch.Slots = slots;
            if (scratch.SegmentTerm.Length < scratch.Items.Length * slots) (scratch.SegmentTerm, scratch.InSegment) = (new float[scratch.Items.Length * slots], new bool[scratch.Items.Length * slots]);
            if (++scratch._query == int.MaxValue)
            {
                Array.Clear(scratch._stamp);
                scratch._query = 1;
            }
            return scratch;
        }

        /// <summary>The item's entry in this query, or -1.</summary>
        public int Find(int item) => item < _stamp.Length && _stamp[item] == _query ? _entryOf[item] : -1;

        /// <summary>The item's entry in this query, added (with nothing summed yet) if it has none.</summary>
        public int Add(int item)
        {
            if (item >= _stamp.Length)
            {
                var size = Math.Max(item + 1, 2 * _stamp.Length);
                Array.Resize(ref _stamp, size);
                Array.Resize(ref _entryOf, size);
            }
            if (_stamp[item] == _query) return _entryOf[item];
            if (Count == Items.Length)
            {
                Array.Resize(ref Items, 2 * Count);
                Array.Resize(ref Related, 2 * Count);
                Array.Resize(ref SegmentTerm, 2 * Count * Slots);
                Array.Resize(ref InSegment, 2 * Count * Slots);
            }
            var entry = Count++;
            (_stamp[item], _entryOf[item]) = (_query, entry);
            Items[entry] = item;
            Related[entry] = 0f;
            InSegment.AsSpan(entry * Slots, Slots).Clear();
            return entry;
        }
    }

    /// <summary>One user's question to one snapshot: the unit profile, memberships and co-visitation scores.</summary>
    private sealed class Query
    {
        private readonly Profile _profile;
        private readonly ModelSnapshot _snapshot;
        private readonly IReadOnlySet<int>? _exclude;
        private readonly float[] _unit;
        private readonly Scratch _scratch;
        private readonly float _relatedScale;

        private Query(Profile profile, ModelSnapshot snapshot, IReadOnlySet<int>? exclude, float[] unit)
        {
            _profile = profile;
            _snapshot = snapshot;
            _exclude = exclude;
            _unit = unit;
            Memberships = Fusion.Memberships(unit, snapshot);
            var scratch = _scratch = Scratch.Take(Memberships.Length);

            // V(c) = Σ over the latest positive items j of cosine(j, c) over co-visitation; scaled so the best is 1.
            var anchors = Math.Min(snapshot.Options.CoVisitAnchors, profile.RecentPositives.Count);
            for (var i = 0; i < anchors; i++)
            {
                var j = profile.RecentPositives.Newest(i);
                if (snapshot.Neighbors[j] is not { } neighbours) continue;
                foreach (var (c, s) in neighbours)
                {
                    if (!Allowed(c)) continue;
                    var entry = scratch.Add(c);
                    scratch.Related[entry] += s;
                }
            }
            var max = 0f;
            foreach (var v in scratch.Related.AsSpan(0, scratch.Count)) max = Math.Max(max, v);
            _relatedScale = max > 0 ? snapshot.Options.CoVisitWeight / max : 0f;
        }

        public (int Segment, float Weight)[] Memberships { get; }

        public static Query? Of(Profile? profile, ModelSnapshot snapshot, IReadOnlySet<int>? exclude)
        {
            var unit = new float[snapshot.Options.Dimension];
            return profile is not null && Vectors.Normalize(profile.Vector, unit) ? new Query(profile, snapshot, exclude, unit) : null;
        }

        public float PersonalTerm(int item) => _snapshot.Options.PersonalWeight * Vectors.Dot(_unit, _snapshot.ItemVector(item));

        public float RelatedTerm(int item) => (_scratch.Find(item) is var e and >= 0 ? _scratch.Related[e] : 0f) * _relatedScale;

        /// <summary>The item's term from each membership whose top items hold it, the amounts its score summed.</summary>
        public List<SegmentShare> SegmentShares(int item)
        {
            var shares = new List<SegmentShare>(Memberships.Length);
            var e = _scratch.Find(item);
            if (e < 0) return shares;
            for (int slot = 0, at = e * _scratch.Slots; slot < _scratch.Slots; slot++, at++)
                if (_scratch.InSegment[at]) shares.Add(new SegmentShare(Memberships[slot].Segment, _scratch.SegmentTerm[at]));
            return shares;
        }

        private bool Allowed(int item) => !_profile.Seen.Contains(item) && (_exclude is null || !_exclude.Contains(item));

        /// <summary>
        /// The candidates (once per query), in this thread's scratch table: the co-visited items, the memberships'
        /// top items (with their terms), and the items nearest the profile. Read them before the thread ranks again.
        /// </summary>
        public ReadOnlySpan<int> Candidates()
        {
            var scratch = _scratch;
            var sigma = _snapshot.Options.SegmentWeight;
            for (var slot = 0; slot < Memberships.Length; slot++)
            {
                var (k, w) = Memberships[slot];
                foreach (var (item, m) in _snapshot.Items[k].Ranked)
                {
                    if (!Allowed(item)) continue;
                    var at = scratch.Add(item) * scratch.Slots + slot;
                    (scratch.SegmentTerm[at], scratch.InSegment[at]) = (sigma * w * m, true);
                }
            }

            // The scan over the whole catalog reads bytes, not floats; candidates are scored exactly afterwards.
            var near = new TopK(_snapshot.Options.NearestItems);
            var rows = _snapshot.QuantizedItemVectors;
            var query = Quantized.Query(_unit);
            var d = rows.Dimension;
            var bar = Math.Max(0f, near.Bar);
            for (var b = 0; b < rows.Blocks; b++)
            {
                var block = rows.Block(b);
                for (int r = 0, item = b * rows.BlockRows; r < block.Length; r += d, item++)
                {
                    var dot = Quantized.Dot(block.Slice(r, d), query);
                    if (dot <= bar || !Allowed(item)) continue;
                    near.Offer(item, dot);
                    bar = Math.Max(0f, near.Bar);
                }
            }
            foreach (var (item, _) in near.Drain()) scratch.Add(item);
            return scratch.Items.AsSpan(0, scratch.Count);
        }

        public (int Item, float Score)[] Rank(int count)
        {
            var top = new TopK(count);
            var scratch = _scratch;
            var candidates = Candidates();
            var slots = scratch.Slots;
            for (var e = 0; e < candidates.Length; e++)
            {
                var item = candidates[e];
                // The terms in the order a full score sums them (personal, related, then each membership), so the same bits.
                var score = PersonalTerm(item) + scratch.Related[e] * _relatedScale;
                for (int slot = 0, at = e * slots; slot < slots; slot++, at++)
                    if (scratch.InSegment[at]) score += scratch.SegmentTerm[at];
                top.Offer(item, score);
            }
            return top.Drain();
        }
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
