using Akka.Actor;
using RecoActors.Core;

namespace RecoActors.Runtime.Tests;

/// <summary>The model actor and its segment actors fold exactly as Core's <see cref="GlobalModel.Apply"/> does.</summary>
public sealed class ModelActorTests() : Akka.TestKit.Xunit2.TestKit(ModelActor.DispatcherHocon)
{
    // More segments than the stream has tastes: some die and are re-seeded along the way.
    internal static readonly ModelOptions Options = new() { Dimension = 16, Segments = 6, Seed = 5, DeadSegmentFraction = 0.25f, ModelHalfLifeMs = 86_400_000 };

    /// <summary>Partials of a stream of three taste groups, then one, each made against <paramref name="model"/> as it folds them.</summary>
    internal static List<byte[]> Partials(GlobalModel model)
    {
        var rng = new Random(11);
        var profiles = new Dictionary<string, Profile>();
        var scratch = new float[2 * Options.Dimension];
        var partials = new List<byte[]>();
        var t = 1_600_000_000_000L;
        for (var batch = 0; batch < 60; batch++)
        {
            var partial = model.NewPartial();
            for (var e = 0; e < 150; e++)
            {
                // The second half has one taste only: the other tastes' segments fade and die.
                var user = batch < 30 ? rng.Next(90) : 3 * rng.Next(30);
                var item = user % 3 + 3 * rng.Next(40);
                if (!profiles.TryGetValue($"u{user}", out var profile)) profiles[$"u{user}"] = profile = Profile.For(Options);
                t += rng.Next(600_000);
                ProfileUpdater.Apply(profile, $"i{item}", model.Catalog.GetOrAdd($"i{item}"), EventType.Rating, rng.Next(1, 11) / 2f, t, model.Current, partial, scratch);
            }
            partials.Add(PartialCodec.Encode(partial, i => model.Catalog[i]));
            model.Apply(partial);
        }
        return partials;
    }

    [Fact]
    public void Folds_every_batch_to_the_same_numbers_as_Core_and_re_seeds_a_dying_segment_once()
    {
        var reference = new GlobalModel(Options, new ItemCatalog());
        var partials = Partials(new GlobalModel(Options, reference.Catalog));
        var model = new GlobalModel(Options, new ItemCatalog());
        var actor = Sys.ActorOf(ModelActor.Props(model, contributions: null, TimeSpan.FromSeconds(1)));

        var reseeds = new List<(long Version, int Segment)>();
        foreach (var bytes in partials)
        {
            var expected = reference.Apply(PartialCodec.Decode(bytes, reference.Catalog, Options));
            actor.Tell(new ModelCommand.Exchanged(PartialCodec.Decode(bytes, model.Catalog, Options)));
            actor.Tell(ModelCommand.FoldNow.Instance);
            var actual = ExpectMsg<ModelSnapshot>();
            Assert.Equal(expected.Version, actual.Version);
            Assert.Equal(expected.Weights, actual.Weights);
            Assert.Equal(expected.Drift, actual.Drift);
            Assert.Equal(expected.Reseeded, actual.Reseeded);
            AssertSameSegments(expected, actual);
            reseeds.AddRange(actual.Reseeded.Select(k => (actual.Version, k)));
        }
        // Segments died and were re-seeded, each once: a re-seeded segment holds half the heaviest's weight, so it is not re-seeded again at once.
        Assert.NotEmpty(reseeds);
        Assert.DoesNotContain(reseeds, r => reseeds.Contains((r.Version + 1, r.Segment)));
    }

    [Fact]
    public void Batches_that_arrive_during_a_fold_wait_their_turn_in_order()
    {
        var reference = new GlobalModel(Options, new ItemCatalog());
        var partials = Partials(new GlobalModel(Options, reference.Catalog));
        var model = new GlobalModel(Options, new ItemCatalog());
        var actor = Sys.ActorOf(ModelActor.Props(model, contributions: null, TimeSpan.FromSeconds(1)));

        foreach (var bytes in partials) actor.Tell(new ModelCommand.Exchanged(PartialCodec.Decode(bytes, model.Catalog, Options)));
        actor.Tell(ModelCommand.FoldNow.Instance);
        var actual = ExpectMsg<ModelSnapshot>(TimeSpan.FromSeconds(30));
        foreach (var bytes in partials) reference.Apply(PartialCodec.Decode(bytes, reference.Catalog, Options));
        var expected = reference.Current;
        Assert.Equal(partials.Count, actual.Version);
        Assert.Equal(expected.Weights, actual.Weights);
        AssertSameSegments(expected, actual);
    }

    private static void AssertSameSegments(ModelSnapshot expected, ModelSnapshot actual)
    {
        // The two models met the items in other orders: their rows are compared by item id. The reference's catalog
        // also holds items of batches still to come, which no row names yet.
        var indexOf = Enumerable.Range(0, actual.ItemCount).ToDictionary(actual.ItemId);
        Assert.Equal(expected.FusionWeights, actual.FusionWeights);
        for (var k = 0; k < Options.Segments; k++)
        {
            Assert.Equal(expected.Centroid(k).ToArray(), actual.Centroid(k).ToArray());
            Assert.Equal(expected.TopItems(k, 50), actual.TopItems(k, 50));
            for (var item = 0; item < expected.ItemCount; item++)
                Assert.Equal(expected.Related(item, k), indexOf.TryGetValue(expected.ItemId(item), out var other) ? actual.Related(other, k) : []);
        }
    }
}
