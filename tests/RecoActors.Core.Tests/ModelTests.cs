namespace RecoActors.Core.Tests;

public class ModelTests
{
    private const long Day = 86_400_000;

    [Fact]
    public void Centroids_follow_streaming_kmeans_with_a_half_life()
    {
        var options = new ModelOptions { Dimension = 2, Segments = 2, ModelHalfLifeMs = Day };
        var model = new GlobalModel(options, new ItemCatalog());
        var t = Streams.T0;

        var batch = model.NewPartial();
        for (var i = 0; i < 3; i++) Point(batch, 0, [1, 0], t);
        var s1 = model.Apply(batch);
        // Segment 1 got nothing, so it was re-seeded by splitting segment 0: halves of the weight either side of x̄.
        Assert.Equal(1.5, s1.Weights[0], 12);
        Assert.Equal(1.5, s1.Weights[1], 12);
        Assert.Equal(1f, (s1.Centroid(0)[0] + s1.Centroid(1)[0]) / 2, 5);
        Assert.Equal(0f, (s1.Centroid(0)[1] + s1.Centroid(1)[1]) / 2, 5);

        var c0 = s1.Centroid(0).ToArray();
        batch = model.NewPartial();
        for (var i = 0; i < 2; i++) Point(batch, 0, [0, 1], t + Day);
        var s2 = model.Apply(batch);
        // One half-life later: n' = n·½ + m, c ← c + (m/n')(x̄ − c).
        var n = 1.5 * 0.5 + 2;
        Assert.Equal(n, s2.Weights[0], 12);
        Assert.Equal(c0[0] + 2 / n * (0 - c0[0]), s2.Centroid(0)[0], 5);
        Assert.Equal(c0[1] + 2 / n * (1 - c0[1]), s2.Centroid(0)[1], 5);
        Assert.Equal(0.75, s2.Weights[1], 12);
    }

    [Fact]
    public async Task A_snapshot_published_while_shards_add_items_has_a_vector_row_for_every_item_it_names()
    {
        var options = new ModelOptions { Dimension = 2, Segments = 2, ModelHalfLifeMs = Day };
        var catalog = new ItemCatalog();
        var model = new GlobalModel(options, catalog);
        catalog.GetOrAdd("item-0");
        // Shards add items to the shared catalog while the segment actor folds (the race seen as HTTP 500s).
        var adding = Task.Run(() => { for (var i = 0; i < 200_000; i++) catalog.GetOrAdd($"item-{i}"); });
        var folds = 0;
        while (!adding.IsCompleted || folds == 0)
        {
            var batch = model.NewPartial();
            Point(batch, 0, [1, 0], Streams.T0 + folds++);
            var snapshot = model.Apply(batch);
            Assert.Equal(options.Dimension, snapshot.ItemVector(snapshot.ItemCount - 1).Length);
        }
        await adding;
    }

    private static void Point(ModelPartial partial, int segment, float[] x, long t)
    {
        partial.AddPoint(segment, x);
        partial.AddInteraction(segment, 0, 1, t, Day, new float[x.Length]);
    }

    [Fact]
    public void Users_with_different_tastes_end_in_different_segments_and_get_their_group_s_items()
    {
        var r = new Recommender(new ModelOptions { Segments = 3, Dimension = 32 }, batchEvents: 200);
        foreach (var e in Streams.Grouped(20_000, groups: 3)) r.Apply(e);
        r.Flush();
        var unit = new float[32];
        int SegmentOf(string user) { Vectors.Normalize(r.Profile(user)!.Vector, unit); return r.Snapshot.NearestSegment(unit); }
        // Users u0, u3, u6 … share group 0; u1, u4 … group 1.
        Assert.Equal(SegmentOf("u0"), SegmentOf("u3"));
        Assert.NotEqual(SegmentOf("u0"), SegmentOf("u1"));

        // A newcomer who liked three items of group 0 (u0 has seen every one of them by now).
        var t = r.Snapshot.Time;
        foreach (var item in new[] { "i0", "i3", "i6" }) r.Apply(new BehaviourEvent("newcomer", item, EventType.Rating, 5, t += 1000));
        r.Flush();
        var rec = r.Recommend("newcomer", 10);
        Assert.False(rec.ColdStart);
        var ofGroup = rec.Items.Count(i => int.Parse(i.ItemId[1..]) % 3 == 0);
        Assert.True(ofGroup >= 7, $"{ofGroup} of 10 from the user's group");
        Assert.All(rec.Items, i => Assert.Equal(i.Score, i.Personal + i.Related + i.Segments.Sum(s => s.Amount), 4));
        Assert.Equal(1f, rec.Memberships.Sum(m => m.Amount), 4);
    }

    [Fact]
    public void Each_term_of_the_score_is_removed_by_its_weight()
    {
        var options = new ModelOptions { Segments = 3, Dimension = 32 };
        var events = Streams.Grouped(5_000, groups: 3).ToList();
        Recommendation Ask(ModelOptions o)
        {
            var r = new Recommender(o, batchEvents: 200);
            foreach (var e in events) r.Apply(e);
            r.Flush();
            return r.Recommend("u0", 10);
        }
        var all = Ask(options);
        Assert.Contains(all.Items, i => i.Segments.Sum(s => s.Amount) > 0);
        Assert.Contains(all.Items, i => i.Personal != 0);
        Assert.Contains(all.Items, i => i.Related > 0);
        // A weight set to 0 stays 0 while the others are learned (the steps multiply), so each ablation stays one.
        Assert.All(Ask(options with { SegmentWeight = 0, SegmentCoVisitWeight = 0 }).Items, i => Assert.Equal(0f, i.Segments.Sum(s => s.Amount)));
        Assert.All(Ask(options with { PersonalWeight = 0 }).Items, i => Assert.Equal(0f, i.Personal));
        Assert.All(Ask(options with { CoVisitWeight = 0 }).Items, i => Assert.Equal(0f, i.Related));
        var noSegments = Ask(options with { SegmentWeight = 0, SegmentCoVisitWeight = 0 });
        Assert.All(noSegments.Items, i => Assert.Equal(i.Score, i.Personal + i.Related, 4));
        Assert.Equal(0f, noSegments.Weights!.Segments);
        Assert.Equal(0f, noSegments.Weights.Local);
        // The segments' own co-visitation alone is a share of its own in the explanation.
        var localOnly = Ask(options with { SegmentWeight = 0 });
        Assert.Contains(localOnly.Items, i => i.Segments.Sum(s => s.Amount) > 0);
    }

    [Fact]
    public void Items_taken_together_become_related_and_are_recommended_after_each_other()
    {
        var r = new Recommender(new ModelOptions { Segments = 2, Dimension = 16 }, batchEvents: 10);
        var t = Streams.T0;
        // Many users take "saw" and "saw-2" one after the other; others take unrelated items.
        for (var u = 0; u < 30; u++)
        {
            r.Apply(new BehaviourEvent($"u{u}", "saw", EventType.Like, null, t += 1000));
            r.Apply(new BehaviourEvent($"u{u}", "saw-2", EventType.Like, null, t += 1000));
            r.Apply(new BehaviourEvent($"v{u}", $"other-{u % 7}", EventType.Like, null, t += 1000));
            r.Apply(new BehaviourEvent($"v{u}", $"other-{(u + 1) % 7}", EventType.Like, null, t += 1000));
        }
        r.Apply(new BehaviourEvent("newcomer", "saw", EventType.Like, null, t += 1000));
        r.Flush();

        r.Catalog.TryGet("saw", out var saw);
        Assert.Equal("saw-2", r.Snapshot.Related(saw)[0].ItemId);
        var top = r.Recommend("newcomer", 3).Items[0];
        Assert.Equal("saw-2", top.ItemId);
        Assert.True(top.Related > 0);
    }

    [Fact]
    public void A_hub_item_s_row_stays_bounded_and_keeps_its_strongest_partners()
    {
        // 5 neighbours: a row keeps 20 pairs once it has 40. The hub pairs once with 200 items and 20 times with each of three.
        var r = new Recommender(new ModelOptions { Segments = 2, Dimension = 16, CoVisitNeighbors = 5 }, batchEvents: 50);
        var t = Streams.T0;
        for (var u = 0; u < 200; u++)
        {
            r.Apply(new BehaviourEvent($"u{u}", "hub", EventType.Like, null, t += 1000));
            r.Apply(new BehaviourEvent($"u{u}", $"once-{u}", EventType.Like, null, t += 1000));
            if (u % 10 != 0) continue;
            for (var s = 0; s < 3; s++)
            {
                r.Apply(new BehaviourEvent($"s{u}-{s}", "hub", EventType.Like, null, t += 1000));
                r.Apply(new BehaviourEvent($"s{u}-{s}", $"strong-{s}", EventType.Like, null, t += 1000));
            }
        }
        r.Flush();

        r.Catalog.TryGet("hub", out var hub);
        Assert.InRange(r.Model.CoVisitRowLength(hub), 20, 40);
        Assert.Equal(["strong-0", "strong-1", "strong-2"], r.Snapshot.Related(hub).Take(3).Select(x => x.ItemId).Order());
    }

    [Fact]
    public void Diversity_reranking_returns_as_many_distinct_unseen_items()
    {
        var r = new Recommender(new ModelOptions { Segments = 3, Dimension = 32 }, batchEvents: 200);
        foreach (var e in Streams.Grouped(5_000)) r.Apply(e);
        var plain = r.Recommend("u0", 10);
        var diverse = r.Recommend("u0", 10, diversity: 0.5f);
        Assert.Equal(plain.Items.Count, diverse.Items.Count);
        Assert.Equal(diverse.Items.Count, diverse.Items.Select(i => i.ItemId).Distinct().Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Recommend("u0", 10, diversity: 1f));
    }

    [Fact]
    public void Negative_feedback_has_negative_weight()
    {
        var w = EventWeights.Default;
        Assert.True(w.Of(EventType.Dislike, null) < 0);
        Assert.True(w.Of(EventType.Skip, null) < 0);
        Assert.True(w.Of(EventType.Rating, 1f) < 0);
        Assert.True(w.Of(EventType.Rating, 5f) > w.Of(EventType.Rating, 4f));
        Assert.True(w.Of(EventType.Purchase, null) > w.Of(EventType.View, null));
    }

    [Fact]
    public void Seen_items_are_bounded_and_forget_the_oldest()
    {
        var seen = new SeenItems(3);
        foreach (var i in new[] { 1, 2, 2, 3, 4 }) seen.Add(i);
        Assert.Equal([2, 3, 4], seen.Items());
        Assert.False(seen.Contains(1));
    }

    [Fact]
    public void Content_vectors_of_items_sharing_genres_are_closer()
    {
        var e = new ContentEmbedder(64, 3);
        var a = e.Embed("Toy Story (1995)", ["Animation", "Children", "Comedy"], ["pixar"]);
        var b = e.Embed("Toy Story 2 (1999)", ["Animation", "Children", "Comedy"], ["pixar"]);
        var c = e.Embed("Heat (1995)", ["Action", "Crime", "Thriller"], []);
        Assert.True(Vectors.Cosine(a, b) > Vectors.Cosine(a, c) + 0.3f);
        Assert.Equal(1f, Vectors.Norm(a), 4);
    }

    [Fact]
    public void Options_out_of_range_name_the_field()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ModelOptions { Segments = 0 }.Validate());
        Assert.Equal("Segments", ex.ParamName);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Recommender(new ModelOptions { DeadSegmentFraction = 1 }));
        Assert.Equal("DeadSegmentFraction", ex.ParamName);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ModelOptions { SegmentWeight = -1 }.Validate());
        Assert.Equal("SegmentWeight", ex.ParamName);
    }
}

public class SeenItemsTests
{
    [Fact]
    public void Growth_and_the_switch_to_a_hash_set_keep_order_membership_and_eviction()
    {
        var seen = new SeenItems(50);
        var model = new List<int>();
        var rng = new Random(2);
        for (var i = 0; i < 500; i++)
        {
            var item = rng.Next(120);
            seen.Add(item);
            if (model.Contains(item)) continue;
            model.Add(item);
            if (model.Count > 50) model.RemoveAt(0);
        }
        Assert.Equal(model, seen.Items());
        for (var item = 0; item < 120; item++) Assert.Equal(model.Contains(item), seen.Contains(item));
    }
}

public sealed class Projection2DTests
{
    [Fact]
    public void The_plane_keeps_the_spread_of_the_cloud_and_is_the_same_every_time()
    {
        // Points spread widely along one direction, a little along another, not at all along the rest.
        var rng = new Random(3);
        var points = Enumerable.Range(0, 200).Select(_ =>
        {
            var p = new float[16];
            p[2] = (float)(rng.NextDouble() * 10 - 5);
            p[7] = (float)(rng.NextDouble() * 2 - 1);
            p[11] = (float)(rng.NextDouble() * 0.01);
            return p;
        }).ToList();
        var plane = Projection2D.Fit(points);
        var projected = points.Select(p => plane.Project(p)).ToList();
        var xs = projected.Select(p => p.X).ToList();
        var ys = projected.Select(p => p.Y).ToList();
        // The sample's small correlations tilt the axes a little; the plane is still the one of the two wide directions.
        Assert.InRange(xs.Max() - xs.Min(), 9.5f, 10.1f);
        Assert.InRange(ys.Max() - ys.Min(), 1.8f, 2.2f);
        Assert.Equal(projected, points.Select(p => Projection2D.Fit(points).Project(p)).ToList());
    }
}
