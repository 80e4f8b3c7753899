namespace RecoActors.Core.Tests;

/// <summary>A model saved and loaded elsewhere folds on exactly as the one that never stopped.</summary>
public class ModelStateTests
{
    private static readonly ModelOptions Options = new() { Dimension = 16, Segments = 4, Seed = 3 };

    /// <summary>Folds <paramref name="events"/> in batches: each batch's partial is made from <paramref name="source"/>, encoded, and folded into every model.</summary>
    private static void Fold(IEnumerable<BehaviourEvent> events, GlobalModel source, Dictionary<string, Profile> profiles, params GlobalModel[] models)
    {
        var scratch = new float[2 * Options.Dimension];
        foreach (var batch in events.Chunk(100))
        {
            var partial = source.NewPartial();
            foreach (var ev in batch)
            {
                if (!profiles.TryGetValue(ev.UserId, out var profile)) profiles[ev.UserId] = profile = Profile.For(Options);
                ProfileUpdater.Apply(profile, ev.ItemId, source.Catalog.GetOrAdd(ev.ItemId), ev.Type, ev.Value, ev.Timestamp, source.Current, partial, scratch);
            }
            var bytes = PartialCodec.Encode(partial, i => source.Catalog[i]);
            foreach (var model in models) model.Apply(PartialCodec.Decode(bytes, model.Catalog, Options));
        }
    }

    [Fact]
    public void A_loaded_model_folds_on_bit_for_bit_like_the_one_that_never_stopped()
    {
        var events = Streams.Grouped(6_000, users: 80, items: 150);
        var profiles = new Dictionary<string, Profile>();
        var running = new GlobalModel(Options, new ItemCatalog());
        Fold(events.Take(3_000), running, profiles, running);

        // A node starting later: another catalog, where some items came first and in another order.
        var catalog = new ItemCatalog();
        foreach (var item in new[] { "i7", "i3", "new-item" }) catalog.GetOrAdd(item);
        var restarted = new GlobalModel(Options, catalog);
        restarted.Load(running.Save());
        Assert.Equal(running.Current.Version, restarted.Current.Version);
        Assert.Equal(running.Current.Weights, restarted.Current.Weights);
        Assert.Equal(running.Current.FusionWeights, restarted.Current.FusionWeights);
        Assert.NotEqual(FusionWeights.Initial(Options), running.Current.FusionWeights[0]);

        Fold(events.Skip(3_000), running, profiles, running, restarted);
        var (a, b) = (running.Current, restarted.Current);
        Assert.Equal(a.Version, b.Version);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.FusionWeights, b.FusionWeights);
        for (var k = 0; k < a.SegmentCount; k++)
        {
            Assert.Equal(a.Centroid(k).ToArray(), b.Centroid(k).ToArray());
            Assert.Equal(a.TopItems(k, 20), b.TopItems(k, 20));
            foreach (var id in new[] { "i3", "i7", "i40" })
                Assert.Equal(a.Related(running.Catalog.GetOrAdd(id), k), b.Related(restarted.Catalog.GetOrAdd(id), k));
        }
        Assert.Contains(Enumerable.Range(0, a.SegmentCount), k => a.Related(running.Catalog.GetOrAdd("i3"), k).Count > 0);
        foreach (var (user, profile) in profiles.Take(20))
        {
            var (ra, rb) = (Fusion.Recommend(profile, a, 10), Fusion.Recommend(Remap(profile, running.Catalog, restarted.Catalog), b, 10));
            Assert.Equal(ra.Items.Select(i => (i.ItemId, i.Score, i.Personal, i.Related)), rb.Items.Select(i => (i.ItemId, i.Score, i.Personal, i.Related)));
            Assert.Equal(ra.Items.SelectMany(i => i.Segments), rb.Items.SelectMany(i => i.Segments));
            Assert.Equal(ra.Weights, rb.Weights);
        }
    }

    [Fact]
    public void A_state_that_does_not_fit_is_refused_with_the_reason()
    {
        var model = new GlobalModel(Options, new ItemCatalog());
        Fold(Streams.Grouped(500), model, [], model);
        var state = model.Save();

        Assert.Contains("K=4, d=16; this model has K=5, d=16", Assert.Throws<FormatException>(() => new GlobalModel(Options with { Segments = 5 }, new ItemCatalog()).Load(state)).Message);
        Assert.Contains("truncated", Assert.Throws<FormatException>(() => new GlobalModel(Options, new ItemCatalog()).Load(state.AsSpan(0, state.Length / 2))).Message);
        Assert.Contains("version 9", Assert.Throws<FormatException>(() => new GlobalModel(Options, new ItemCatalog()).Load([9, .. state[1..]])).Message);
        Assert.Throws<InvalidOperationException>(() => model.Load(state));
    }

    /// <summary>The same profile under another catalog's item indexes.</summary>
    private static Profile Remap(Profile profile, ItemCatalog from, ItemCatalog to)
    {
        var recent = profile.RecentPositives;
        return Profile.Restore(profile.Vector, profile.Seen.Capacity, profile.Seen.Items().Select(i => to.GetOrAdd(from[i])), recent.Capacity,
            Enumerable.Range(0, recent.Count).Select(i => to.GetOrAdd(from[recent.Newest(recent.Count - 1 - i)])), profile.LastTimestamp, profile.EventsApplied);
    }
}
