namespace RecoActors.Core;

/// <summary>
/// Blends the segment models with the user's own history into a personal ranking:
/// soft membership w_k ∝ exp(−β‖p − c_k‖²) over the nearest segments; candidates = their top items, the items
/// nearest the profile, and the items most co-visited with the user's latest positive items;
/// score = σ·Σ_k w_k·M_k(item) + λ·cos(p, e(item)) + μ·V(item) + ν·Σ_k w_k·V_k(item), where V_k is co-visitation
/// among segment k's own users and σ, λ, μ, ν are the memberships' blend of their segments' learned weights
/// (<see cref="Learn"/>); seen items never come back; optional MMR re-ranking for diversity. A user with no direction
/// gets popularity (cold start).
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
        return new Recommendation(items, false, [.. query.Memberships.Select(m => new SegmentShare(m.Segment, m.Weight))]) { Weights = query.Weights };
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

        // Per item, side by side (one cache line for the three, read at random by the co-visitation sums): the query that
        // last gave it an entry, that entry, and the query that last excluded it.
        private (int Stamp, int Entry, int Excluded)[] _byItem = [];
        private int _query;

        /// <summary>
        /// The entries of this query, in the order first touched: item, co-visitation sum, and per segment slot its
        /// segment-model term (if the item is in that segment's top) and its sum over the segment's own neighbours.
        /// </summary>
        public int Count;
        public int[] Items = new int[1024];
        public float[] Related = new float[1024];
        /// <summary>Per entry, the most its score can be, from the scan's quantized dot (<see cref="Query.Bar"/>).</summary>
        public float[] Upper = new float[1024];
        /// <summary>Per item (not entry), its quantized dot with the query, written by the query's scan.</summary>
        public int[] Dots = [];
        public float[] SegmentTerm = [];
        public float[] LocalTerm = [];
        public bool[] InSegment = [];
        public int Slots;

        /// <summary>This thread's table, empty, for a query over <paramref name="slots"/> segments. A query uses it only until its ranking returns (nothing ranks re-entrantly).</summary>
        public static Scratch Take(int slots)
        {
            var scratch = t_current ??= new Scratch();
            scratch.Count = 0;
            scratch.Slots = slots;
            if (scratch.SegmentTerm.Length < scratch.Items.Length * slots)
                (scratch.SegmentTerm, scratch.LocalTerm, scratch.InSegment) = (new float[scratch.Items.Length * slots], new float[scratch.Items.Length * slots], new bool[scratch.Items.Length * slots]);
            if (++scratch._query == int.MaxValue)
            {
                Array.Clear(scratch._byItem);
                scratch._query = 1;
            }
            return scratch;
        }

        /// <summary>Keeps the item out of this query's candidates.</summary>
        public void Exclude(int item)
        {
            if (item < 0) return;
            Reach(item);
            _byItem[item].Excluded = _query;
        }

        /// <summary>Whether the item was kept out of this query's candidates (<see cref="Exclude"/>).</summary>
        public bool IsExcluded(int item) => (uint)item < (uint)_byItem.Length && _byItem[item].Excluded == _query;

        /// <summary>The item's entry in this query, or -1.</summary>
        public int Find(int item) => (uint)item < (uint)_byItem.Length && _byItem[item].Stamp == _query ? _byItem[item].Entry : -1;

        private void Reach(int item)
        {
            if (item >= _byItem.Length) Array.Resize(ref _byItem, Math.Max(item + 1, 2 * _byItem.Length));
        }

        /// <summary>The item's entry in this query, added (with nothing summed yet) if it has none.</summary>
        public int Add(int item)
        {
            Reach(item);
            ref var slot = ref _byItem[item];
            if (slot.Stamp == _query) return slot.Entry;
            if (Count == Items.Length)
            {
                Array.Resize(ref Items, 2 * Count);
                Array.Resize(ref Related, 2 * Count);
                Array.Resize(ref Upper, 2 * Count);
                Array.Resize(ref SegmentTerm, 2 * Count * Slots);
                Array.Resize(ref LocalTerm, 2 * Count * Slots);
                Array.Resize(ref InSegment, 2 * Count * Slots);
            }
            var entry = Count++;
            (slot.Stamp, slot.Entry) = (_query, entry);
            Items[entry] = item;
            Related[entry] = 0f;
            InSegment.AsSpan(entry * Slots, Slots).Clear();
            LocalTerm.AsSpan(entry * Slots, Slots).Clear();
            return entry;
        }
    }

    /// <summary>
    /// One user's question to one snapshot: the unit profile, memberships, the user's fusion weights (the memberships'
    /// blend of their segments' learned weights) and the co-visitation sums of the candidates.
    /// </summary>
    private sealed class Query
    {
        private readonly ModelSnapshot _snapshot;
        private readonly float[] _unit;
        private readonly Scratch _scratch;
        private readonly FusionWeights _weights;
        // What turns each co-visitation sum into its feature in [0, 1]: one over the query's largest.
        private readonly float _relatedScale, _localScale;
        // After the scan: the items it has a quantized dot for, and how far an estimate from one can be off the score.
        private int _scanned;
        private float _estimateError;

        /// <summary>What float rounding may add to an estimate's error: the score sums its terms in another order, and its dot is in floats.</summary>
        private const float RoundingSlack = 1e-4f;

        private Query(ModelSnapshot snapshot, float[] unit, RecentItems anchors, SeenItems? seen, IReadOnlySet<int>? exclude)
        {
            _snapshot = snapshot;
            _unit = unit;
            Memberships = Fusion.Memberships(unit, snapshot);
            _weights = FusionWeights.Blend(Memberships, snapshot.FusionWeights);
            var scratch = _scratch = Scratch.Take(Memberships.Length);
            var options = snapshot.Options;
            // Stamped once, so that each of the thousands of candidate checks is one array read, not a hash lookup.
            if (seen is not null) foreach (var item in seen.Unordered) scratch.Exclude(item);
            if (exclude is not null) foreach (var item in exclude) scratch.Exclude(item);

            // V(c) = Σ over the latest positive items j, newer ones weighing more, of cosine(j, c) over co-visitation.
            var count = Math.Min(options.CoVisitAnchors, anchors.Count);
            for (var i = 0; i < count; i++)
            {
                if (snapshot.Neighbors[anchors.Newest(i)] is not { } neighbours) continue;
                var a = AnchorWeight(options, i);
                foreach (var (c, s) in neighbours)
                {
                    if (!Allowed(c)) continue;
                    // Add first: it may grow the arrays, and an indexing expression reads the array before its index.
                    var entry = scratch.Add(c);
                    scratch.Related[entry] += a * s;
                }
            }
            var max = 0f;
            foreach (var v in scratch.Related.AsSpan(0, scratch.Count)) max = Math.Max(max, v);
            _relatedScale = max > 0 ? 1f / max : 0f;

            // The same over each membership's own neighbours (learned from its users only), weighted by the membership.
            max = 0f;
            if (_weights.Local > 0)
            {
                for (var slot = 0; slot < Memberships.Length; slot++)
                {
                    var (k, w) = Memberships[slot];
                    var rows = snapshot.SegmentNeighbors[k];
                    for (var i = 0; i < count; i++)
                    {
                        if (rows[anchors.Newest(i)] is not { } neighbours) continue;
                        var a = w * AnchorWeight(options, i);
                        foreach (var (c, s) in neighbours)
                        {
                            if (!Allowed(c)) continue;
                            var at = scratch.Add(c) * scratch.Slots + slot;
                            scratch.LocalTerm[at] += a * s;
                        }
                    }
                }
                for (var e = 0; e < scratch.Count; e++)
                {
                    var sum = 0f;
                    for (int slot = 0, at = e * scratch.Slots; slot < scratch.Slots; slot++, at++) sum += scratch.LocalTerm[at];
                    max = Math.Max(max, sum);
                }
            }
            _localScale = max > 0 ? 1f / max : 0f;
        }

        public (int Segment, float Weight)[] Memberships { get; }

        /// <summary>The weights this user's score blends its terms with.</summary>
        public FusionWeights Weights => _weights;

        public static Query? Of(Profile? profile, ModelSnapshot snapshot, IReadOnlySet<int>? exclude)
        {
            var unit = new float[snapshot.Options.Dimension];
            return profile is not null && Vectors.Normalize(profile.Vector, unit) ? new Query(snapshot, unit, profile.RecentPositives, profile.Seen, exclude) : null;
        }

        /// <summary>A query for learning: a unit profile and its anchors, excluding what the example saw last.</summary>
        public static Query ForExample(ModelSnapshot snapshot, float[] unit, RecentItems anchors, HashSet<int> exclude) => new(snapshot, unit, anchors, null, exclude);

        public float PersonalTerm(int item) => _weights.Personal * Vectors.Dot(_unit, _snapshot.ItemVector(item));

        public float RelatedTerm(int item) => _weights.Related * (_scratch.Find(item) is var e and >= 0 ? _scratch.Related[e] : 0f) * _relatedScale;

        /// <summary>The item's terms from each membership (its segment model's and its own neighbours'), the amounts its score summed.</summary>
        public List<SegmentShare> SegmentShares(int item)
        {
            var shares = new List<SegmentShare>(Memberships.Length);
            var e = _scratch.Find(item);
            if (e < 0) return shares;
            for (int slot = 0, at = e * _scratch.Slots; slot < _scratch.Slots; slot++, at++)
            {
                var amount = SlotTerm(at);
                if (amount != 0f) shares.Add(new SegmentShare(Memberships[slot].Segment, amount));
            }
            return shares;
        }

        private float SlotTerm(int at) =>
            (_scratch.InSegment[at] ? _weights.Segments * _scratch.SegmentTerm[at] : 0f) + _weights.Local * _scratch.LocalTerm[at] * _localScale;

        private bool Allowed(int item) => !_scratch.IsExcluded(item);

        /// <summary>
        /// The candidates (once per query), in this thread's scratch table: the co-visited items, the memberships'
        /// top items (with their terms), and (<paramref name="scan"/>) the items nearest the profile. Read them before
        /// the thread ranks again.
        /// </summary>
        public ReadOnlySpan<int> Candidates(bool scan = true)
        {
            var scratch = _scratch;
            for (var slot = 0; slot < Memberships.Length; slot++)
            {
                var (k, w) = Memberships[slot];
                foreach (var (item, m) in _snapshot.Items[k].Ranked)
                {
                    if (!Allowed(item)) continue;
                    var at = scratch.Add(item) * scratch.Slots + slot;
                    (scratch.SegmentTerm[at], scratch.InSegment[at]) = (w * m, true);
                }
            }
            if (!scan) return scratch.Items.AsSpan(0, scratch.Count);

            // The scan over the whole catalog reads bytes, not floats; candidates are scored exactly afterwards.
            var near = new TopK(_snapshot.Options.NearestItems);
            var rows = _snapshot.QuantizedItemVectors;
            var query = Quantized.Query(_unit);
            var d = rows.Dimension;
            var bar = Math.Max(0f, near.Bar);
            if (scratch.Dots.Length < rows.Count) scratch.Dots = new int[Math.Max(rows.Count, 2 * scratch.Dots.Length)];
            var dots = scratch.Dots;
            for (var b = 0; b < rows.Blocks; b++)
            {
                var block = rows.Block(b);
                var first = b * rows.BlockRows;
                // A block's dots in one tight loop, then the offers: with the offers in the same loop, the scan took a third
                // longer again (100,000 items, as the node compiles it).
                var blockDots = dots.AsSpan(first, block.Length / d);
                Quantized.Dots(block, query, blockDots);
                for (var r = 0; r < blockDots.Length; r++)
                {
                    var (dot, item) = (blockDots[r], first + r);
                    if (dot <= bar || !Allowed(item)) continue;
                    near.Offer(item, dot);
                    bar = Math.Max(0f, near.Bar);
                }
            }
            foreach (var (item, _) in near.Drain()) scratch.Add(item);
            (_scanned, _estimateError) = (rows.Count, Math.Abs(_weights.Personal) * Quantized.ErrorBound(query) + RoundingSlack);
            return scratch.Items.AsSpan(0, scratch.Count);
        }

        /// <summary>
        /// A score no candidate among the best <paramref name="count"/> is below, with each candidate's
        /// <see cref="Scratch.Upper"/> (the most its score can be) beside it: so a candidate whose upper bound is below
        /// it need not be scored exactly, and the ranking stays exact. −∞ (score every candidate) unless the scan ran.
        /// </summary>
        /// <remarks>
        /// Every candidate is estimated with the scan's quantized dot in place of its personal term's float dot, within
        /// <see cref="Quantized.ErrorBound"/> of it; the count-th best lower bound is the bar, as at least count
        /// candidates score at least that. The float dots over randomly placed item rows were the largest part of a
        /// ranking; the quantized dots are already there, one per item, from the scan.
        /// </remarks>
        private float Bar(ReadOnlySpan<int> candidates, int count)
        {
            if (_scanned == 0 || count == 0 || candidates.Length <= count) return float.NegativeInfinity;
            var scratch = _scratch;
            var lowest = new TopK(count);
            var toDot = _weights.Personal / (Quantized.Scale * Quantized.Scale);
            for (var e = 0; e < candidates.Length; e++)
            {
                var item = candidates[e];
                if (item >= _scanned)
                {
                    scratch.Upper[e] = float.PositiveInfinity;
                    continue;
                }
                var estimate = toDot * scratch.Dots[item] + OtherTerms(e);
                scratch.Upper[e] = estimate + _estimateError;
                lowest.Offer(e, estimate - _estimateError);
            }
            return lowest.Bar;
        }

        /// <summary>Whether candidate entry <paramref name="e"/> can score above <paramref name="bar"/> (from <see cref="Bar"/>), so it must be scored exactly.</summary>
        private bool MayReach(int e, float bar) => bar == float.NegativeInfinity || _scratch.Upper[e] >= bar;

        /// <summary>The score of a candidate entry: its personal term plus the others (<see cref="OtherTerms"/>), as the explanation lists them.</summary>
        private float Score(int e) => PersonalTerm(_scratch.Items[e]) + OtherTerms(e);

        /// <summary>A candidate entry's terms but the personal one: related, then each membership's.</summary>
        private float OtherTerms(int e)
        {
            var scratch = _scratch;
            var score = _weights.Related * scratch.Related[e] * _relatedScale;
            for (int slot = 0, at = e * scratch.Slots; slot < scratch.Slots; slot++, at++) score += SlotTerm(at);
            return score;
        }

        public (int Item, float Score)[] Rank(int count)
        {
            var top = new TopK(count);
            var candidates = Candidates();
            var bar = Bar(candidates, count);
            for (var e = 0; e < candidates.Length; e++)
                if (MayReach(e, bar)) top.Offer(candidates[e], Score(e));
            return top.Drain();
        }

        /// <summary>
        /// Adds to <paramref name="gradient"/> (one per term) the gradient, by each term's weight, of how far
        /// <paramref name="item"/> stands above the query's top <paramref name="count"/> others: Σ_c σ(s_c − s_item)·(f_item − f_c)
        /// over them (a pairwise logistic loss against the items it had to beat to be listed). False, adding nothing,
        /// when the item is not a candidate (no weight can rank it).
        /// </summary>
        public bool AddGradient(int item, int count, Span<double> gradient)
        {
            var top = new TopK(count + 1);
            var candidates = Candidates();
            var positive = _scratch.Find(item);
            if (positive < 0) return false;
            var bar = Bar(candidates, count + 1);
            for (var e = 0; e < candidates.Length; e++)
                if (MayReach(e, bar)) top.Offer(e, Score(e));
            var score = Score(positive);
            Span<double> mine = stackalloc double[FusionWeights.Terms];
            Span<double> theirs = stackalloc double[FusionWeights.Terms];
            Features(positive, mine);
            var n = 0;
            foreach (var (e, s) in top.Drain())
            {
                if (e == positive || n == count) continue;
                n++;
                var pull = 1.0 / (1.0 + Math.Exp(score - s));
                Features(e, theirs);
                for (var t = 0; t < mine.Length; t++) gradient[t] += pull * (mine[t] - theirs[t]) / count;
            }
            return true;
        }

        /// <summary>A candidate's terms before weighting, in <see cref="FusionWeights"/>' order.</summary>
        private void Features(int e, Span<double> features)
        {
            var scratch = _scratch;
            double segments = 0, local = 0;
            for (int slot = 0, at = e * scratch.Slots; slot < scratch.Slots; slot++, at++)
            {
                if (scratch.InSegment[at]) segments += scratch.SegmentTerm[at];
                local += scratch.LocalTerm[at];
            }
            features[0] = segments;
            features[1] = Vectors.Dot(_unit, _snapshot.ItemVector(scratch.Items[e]));
            features[2] = scratch.Related[e] * _relatedScale;
            features[3] = local * _localScale;
        }
    }

    /// <summary>
    /// What a batch's examples teach each segment's fusion weights, against the snapshot the batch was built on: per
    /// example, the gradient of the taken item's log-likelihood among the candidates, shared among the example's
    /// memberships by weight. Null when there is nothing to learn from.
    /// </summary>
    internal static FusionLearning? Learn(ModelSnapshot snapshot, List<FusionExample> examples)
    {
        var options = snapshot.Options;
        if (examples.Count == 0 || options.FusionLearningRate <= 0 || options.FusionExamples == 0) return null;
        var k = snapshot.SegmentCount;
        var gradient = new double[k * FusionWeights.Terms];
        var mass = new double[k];
        Span<double> g = stackalloc double[FusionWeights.Terms];
        foreach (var example in examples.Take(options.FusionExamples))
        {
            var anchors = new RecentItems(Math.Max(1, example.Anchors.Length));
            for (var i = example.Anchors.Length - 1; i >= 0; i--) anchors.Push(example.Anchors[i]);
            // The example's seen items were read after it was applied: the taken item is among them, and stays rankable.
            HashSet<int> exclude = [.. example.Anchors, .. example.Seen];
            exclude.Remove(example.Item);
            var query = Query.ForExample(snapshot, example.Unit, anchors, exclude);
            g.Clear();
            if (!query.AddGradient(example.Item, 10, g)) continue;
            foreach (var (segment, w) in query.Memberships)
            {
                mass[segment] += w;
                for (var t = 0; t < g.Length; t++) gradient[segment * FusionWeights.Terms + t] += w * g[t];
            }
        }
        return new FusionLearning(gradient, mass, options.FusionLearningRate);
    }

    /// <summary>The weight of the i-th newest anchor: ρ^i, so the latest positive items say most about what comes next.</summary>
    private static float AnchorWeight(ModelOptions options, int i) => MathF.Pow(options.AnchorDecay, i);

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
