namespace RecoActors.Core.Tests;

/// <summary>The segments' own models: item neighbours learned from their users only, and fusion weights learned from the stream.</summary>
public class SegmentModelTests
{
    private static readonly ModelOptions Options = new() { Dimension = 16, Segments = 2, Seed = 4 };
    private const long HalfLife = 365L * 24 * 3600 * 1000;

    [Fact]
    public void A_segment_learns_item_neighbours_from_its_own_users_only()
    {
        var catalog = new ItemCatalog();
        var model = new GlobalModel(Options, catalog);
        var (a, b, c) = (catalog.GetOrAdd("a"), catalog.GetOrAdd("b"), catalog.GetOrAdd("c"));
        var partial = model.NewPartial();
        // Segment 0's users take b after a; segment 1's take c after a; a user with no segment yet takes c after b.
        for (var user = 0; user < 6; user++)
        {
            var segment = user % 2;
            var recent = new RecentItems(4);
            foreach (var item in new[] { a, segment == 0 ? b : c })
            {
                partial.AddCoVisits(segment, recent, item, 4, Streams.T0 + user, HalfLife);
                recent.Push(item);
            }
        }
        var lone = new RecentItems(4);
        lone.Push(b);
        partial.AddCoVisits(-1, lone, c, 4, Streams.T0 + 10, HalfLife);
        partial.AddInteraction(-1, a, 1, Streams.T0 + 10, HalfLife, []);
        var snapshot = model.Apply(partial);

        Assert.Equal(["b"], snapshot.Related(a, 0).Select(n => n.ItemId));
        Assert.Equal(["c"], snapshot.Related(a, 1).Select(n => n.ItemId));
        Assert.Equal(["b", "c"], snapshot.Related(a).Select(n => n.ItemId).Order());
        // The pair of the user with no segment counts for the whole model only.
        Assert.Contains("c", snapshot.Related(b).Select(n => n.ItemId));
        Assert.DoesNotContain("c", snapshot.Related(b, 0).Concat(snapshot.Related(b, 1)).Select(n => n.ItemId));
        // Neighbours come later by half as much as earlier: a's best is what followed it.
        Assert.True(snapshot.Related(b, 0)[0].Score < snapshot.Related(a, 0)[0].Score);
    }

    [Fact]
    public void A_step_keeps_the_weights_sum_moves_them_with_the_gradient_and_leaves_a_zero_at_zero()
    {
        var weights = new FusionWeights(1f, 0.5f, 1f, 0f);
        var next = weights.Step([0, -1, 1, 5], 0.1);

        Assert.Equal(2.5f, next.Segments + next.Personal + next.Related + next.Local, 5);
        Assert.True(next.Related > weights.Related && next.Personal < weights.Personal);
        Assert.Equal(0f, next.Local);
        Assert.Throws<ArgumentException>(() => weights.Step([1, 2], 0.1));
    }

    [Fact]
    public void The_weights_learn_to_trust_the_term_that_ranks_what_users_take()
    {
        // Every user walks the same chain of items, i0, i1, i2, …: what follows a user's last item is the next in the
        // chain, which co-visitation learns and a profile of fixed item signatures cannot know. Starting with the
        // personal term far ahead of the related one, the learned weights come to trust the related term more.
        var options = new ModelOptions { Dimension = 16, Segments = 2, PersonalWeight = 2f, CoVisitWeight = 0.2f, FusionLearningRate = 0.3f };
        var r = new Recommender(options, batchEvents: 100);
        var rng = new Random(3);
        var t = Streams.T0;
        for (var lap = 0; lap < 60; lap++)
            for (var user = 0; user < 20; user++)
            {
                var start = rng.Next(50);
                for (var step = 0; step < 8; step++)
                    r.Apply(new BehaviourEvent($"u{user}-{lap}", $"i{start + step}", EventType.Purchase, null, t += 1_000));
            }
        r.Flush();

        var initial = FusionWeights.Initial(options);
        foreach (var learned in r.Snapshot.FusionWeights.Where((_, k) => r.Snapshot.Weights[k] > 0))
            Assert.True(learned.Related / learned.Personal > 2 * initial.Related / initial.Personal,
                $"related/personal went from {initial.Related / initial.Personal:F2} to {learned.Related / learned.Personal:F2}");
        // The explanation says which weights scored the user.
        var ranking = r.Recommend("u3-59", 5);
        Assert.NotNull(ranking.Weights);
        Assert.Equal(ranking.Items[0].Score, ranking.Items[0].Personal + ranking.Items[0].Related + ranking.Items[0].Segments.Sum(s => s.Amount), 4);
    }

    [Fact]
    public void Learning_is_bounded_per_batch_and_can_be_switched_off()
    {
        var events = Streams.Grouped(2_000);
        var off = new Recommender(Options with { FusionExamples = 0 }, batchEvents: 500);
        var bounded = new Recommender(Options with { FusionExamples = 3 }, batchEvents: 500);
        foreach (var e in events)
        {
            off.Apply(e);
            bounded.Apply(e);
        }
        Assert.All(off.Snapshot.FusionWeights, w => Assert.Equal(FusionWeights.Initial(Options), w));
        Assert.Contains(bounded.Snapshot.FusionWeights, w => w != FusionWeights.Initial(Options));
        var partial = bounded.Model.NewPartial();
        var profile = Profile.For(Options);
        var scratch = new float[2 * Options.Dimension];
        foreach (var e in events.Where(e => e.UserId == "u1"))
            ProfileUpdater.Apply(profile, e.ItemId, bounded.Catalog.GetOrAdd(e.ItemId), e.Type, e.Value, e.Timestamp, bounded.Snapshot, partial, scratch);
        Assert.Equal(3, partial.Examples.Count);
    }
}
