using FsCheck;
using FsCheck.Fluent;

namespace RecoActors.Core.Tests;

/// <summary>FsCheck properties, run from plain facts (FsCheck.Xunit is not available here).</summary>
public class PropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(60);
    private const long HalfLife = 7L * 24 * 3600 * 1000;

    /// <summary>Partials of a split stream, merged, equal the partial of the whole stream.</summary>
    /// <remarks>Tolerance: 1e-9 relative for the double sums; 1e-4 absolute for the float collaborative vectors.</remarks>
    [Fact]
    public void Merged_partials_equal_single_stream_statistics()
    {
        var gen = Streams.Arbitrary().Generator.SelectMany(events => Gen.Choose(0, events.Length).Select(cut => (events, cut)));
        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (events, cut) = input;
            const int k = 3, d = 16;
            var whole = new ModelPartial(k, d, Streams.T0);
            var first = new ModelPartial(k, d, Streams.T0);
            var second = new ModelPartial(k, d, Streams.T0);
            var signature = new float[d];
            var recent = new RecentItems(4);
            for (var i = 0; i < events.Length; i++)
            {
                var e = events[i];
                var item = int.Parse(e.ItemId[1..]);
                var segment = item % (k + 1) - 1; // −1: a user with no direction yet
                Signature.Write(e.UserId, 1, signature);
                foreach (var p in i < cut ? new[] { whole, first } : [whole, second])
                {
                    if (segment >= 0) p.AddPoint(segment, signature);
                    p.AddInteraction(segment, item, 1 + item % 3, e.Timestamp, HalfLife, signature);
                    p.AddCoVisits(segment, recent, item, 4, e.Timestamp, HalfLife);
                }
                recent.Push(item);
            }
            var merged = new ModelPartial(k, d, Streams.T0);
            merged.MergeFrom(second, HalfLife);
            merged.MergeFrom(first, HalfLife);

            Assert.Equal(whole.Events, merged.Events);
            Assert.Equal(whole.MaxTimestamp, merged.MaxTimestamp);
            for (var i = 0; i < whole.PointSums.Length; i++) Assert.Equal(whole.PointSums[i], merged.PointSums[i], 1e-9);
            Assert.Equal(whole.PointCounts, merged.PointCounts);
            AssertClose(whole.Popularity, merged.Popularity);
            AssertClose(whole.Positives, merged.Positives);
            AssertClose(PairSums(whole), PairSums(merged));
            for (var s = 0; s < k; s++) AssertClose(whole.SegmentItems[s], merged.SegmentItems[s]);
            for (var s = 0; s < k; s++) AssertClose(whole.SegmentPositives[s], merged.SegmentPositives[s]);
            Assert.Equal(whole.Collaborative.Keys.Order(), merged.Collaborative.Keys.Order());
            foreach (var (item, v) in whole.Collaborative)
                for (var i = 0; i < d; i++) Assert.Equal(v[i], merged.Collaborative[item][i], 1e-4 * Math.Max(1, Math.Abs(v[i])));
        }).Check(Runs);
    }

    private static Dictionary<int, double> PairSums(ModelPartial p)
    {
        var sums = new Dictionary<int, double>();
        // Keyed by segment too: a pair counts for the whole model and for the segment its user was in.
        foreach (var (a, b, w, segment) in p.CoVisits) sums[(segment + 1) * 1_000_000 + a * 1000 + b] = sums.GetValueOrDefault((segment + 1) * 1_000_000 + a * 1000 + b) + w;
        return sums;
    }

    private static void AssertClose(Dictionary<int, double> expected, Dictionary<int, double> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, value) in expected) Assert.Equal(value, actual[key], 1e-9 * Math.Max(1, Math.Abs(value)));
    }

    [Fact]
    public void Decay_over_two_steps_equals_decay_over_their_sum()
    {
        var gen = Gen.Choose(0, 1_000_000_000).SelectMany(a => Gen.Choose(0, 1_000_000_000).Select(b => (a, b)));
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            Assert.Equal(Decay.Factor(x.a + (long)x.b, HalfLife), Decay.Factor(x.a, HalfLife) * Decay.Factor(x.b, HalfLife), 1e-12);

            // The same through a profile: neutral events at t, t+a, t+a+b decay the vector as one step of a+b.
            var stepwise = new Profile(4, 8);
            var once = new Profile(4, 8);
            float[] e = [1, 2, 3, 4];
            stepwise.Apply(0, e, 1f, Streams.T0, HalfLife);
            once.Apply(0, e, 1f, Streams.T0, HalfLife);
            stepwise.Apply(1, e, 0f, Streams.T0 + x.a, HalfLife);
            stepwise.Apply(1, e, 0f, Streams.T0 + x.a + x.b, HalfLife);
            once.Apply(1, e, 0f, Streams.T0 + x.a + x.b, HalfLife);
            for (var i = 0; i < 4; i++) Assert.Equal(once.Vector[i], stepwise.Vector[i], 1e-5 * Math.Max(1e-3, Math.Abs(once.Vector[i])));
        }).Check(Runs);
    }

    /// <summary>A profile's copy (what a ranking gets) behaves as the profile does, now and after both take the same events, and neither sees the other's.</summary>
    [Fact]
    public void A_profile_s_clone_behaves_as_the_profile_and_is_independent_of_it()
    {
        // Items drawn from 0..59 into a seen set of 40 (hashed past 32, wrapped when full) and 5 recent positives.
        var gen = Gen.ListOf(Gen.Choose(0, 59)).SelectMany(a => Gen.ListOf(Gen.Choose(0, 59)).Select(b => (a: a.ToArray(), b: b.ToArray())));
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            float[] e = [1, -2, 0.5f, 3];
            var profile = new Profile(4, 40, 5);
            var t = Streams.T0;
            void Apply(Profile p, int item, long at)
            {
                p.Apply(item, e, item % 3 - 1, at, HalfLife);
                if (item % 3 == 2) p.RecentPositives.Push(item);
            }
            foreach (var item in x.a) Apply(profile, item, t += 1_000);
            var clone = profile.Clone();
            Same(profile, clone);
            var before = profile.Clone();
            foreach (var item in x.b) Apply(clone, item, t + item * 1_000L + 1);
            Same(profile, before);
            foreach (var item in x.b) Apply(profile, item, t + item * 1_000L + 1);
            Same(profile, clone);
        }).Check(Runs);

        static void Same(Profile expected, Profile actual)
        {
            Assert.Equal(expected.Vector.Select(BitConverter.SingleToInt32Bits), actual.Vector.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expected.Seen.Items(), actual.Seen.Items());
            Assert.Equal(Enumerable.Range(0, 60).Select(expected.Seen.Contains), Enumerable.Range(0, 60).Select(actual.Seen.Contains));
            var (a, b) = (new int[50], new int[50]);
            Assert.Equal(expected.Seen.CopyNewest(a), actual.Seen.CopyNewest(b));
            Assert.Equal(a, b);
            Assert.Equal(expected.RecentPositives.Oldest(), actual.RecentPositives.Oldest());
            Assert.Equal((expected.LastTimestamp, expected.EventsApplied), (actual.LastTimestamp, actual.EventsApplied));
        }
    }

    [Fact]
    public void Fusion_never_returns_seen_or_excluded_items_or_duplicates_and_returns_min_of_n_and_candidates()
    {
        var gen = Streams.Arbitrary().Generator.SelectMany(events => Gen.Choose(0, 40).Select(n => (events, n)));
        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (events, n) = input;
            var r = new Recommender(new ModelOptions { Segments = 3, Dimension = 16, NearestItems = 10, SegmentTopItems = 8 }, batchEvents: 17);
            foreach (var e in events) r.Apply(e);
            foreach (var (user, profile) in r.Profiles)
            {
                var ranked = r.Rank(user, n, null);
                var ids = ranked.Select(x => x.Item).ToList();
                Assert.DoesNotContain(ids, profile.Seen.Contains);
                Assert.Equal(ids.Count, ids.Distinct().Count());
                Assert.Equal(Math.Min(n, Fusion.Candidates(profile, r.Snapshot, null).Count), ids.Count);
                // Asked again without those: none of them, and still nothing seen.
                HashSet<int> shown = [.. ids];
                var next = r.Rank(user, n, shown).Select(x => x.Item).ToList();
                Assert.DoesNotContain(next, shown.Contains);
                Assert.DoesNotContain(next, profile.Seen.Contains);
            }
        }).Check(Runs);
    }

    [Fact]
    public void A_user_with_no_events_takes_the_cold_start_path()
    {
        Prop.ForAll(Streams.Arbitrary(), events =>
        {
            var r = new Recommender(new ModelOptions { Segments = 2, Dimension = 16 }, batchEvents: 10);
            foreach (var e in events) r.Apply(e);
            r.Flush();
            var rec = r.Recommend("nobody", 5);
            Assert.True(rec.ColdStart);
            Assert.Empty(rec.Memberships);
            var popular = r.Snapshot.Popular.Ranked.Take(5).Select(p => r.Snapshot.ItemId(p.Item));
            Assert.Equal(popular, rec.Items.Select(i => i.ItemId));
        }).Check(Runs);
    }
}
