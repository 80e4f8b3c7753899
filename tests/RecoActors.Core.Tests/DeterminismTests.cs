using System.Runtime.InteropServices;

namespace RecoActors.Core.Tests;

public class DeterminismTests
{
    private static Recommender Replay(IEnumerable<BehaviourEvent> events, int batchEvents = 250)
    {
        var r = new Recommender(new ModelOptions { Segments = 4, Dimension = 32 }, batchEvents);
        var embedder = new ContentEmbedder(32, 1);
        for (var i = 0; i < 120; i += 2) r.SetItemVector($"i{i}", embedder.Embed($"item {i % 7}", [$"g{i % 3}"], []));
        foreach (var e in events) r.Apply(e);
        r.Flush();
        return r;
    }

    private static byte[] Bits(ReadOnlySpan<float> x) => MemoryMarshal.AsBytes(x).ToArray();

    [Fact]
    public void Replaying_the_same_events_twice_gives_bit_identical_profiles_centroids_and_recommendations()
    {
        var events = Streams.Grouped(5_000);
        var a = Replay(events);
        var b = Replay(events);

        Assert.Equal(a.Profiles.Keys.Order(), b.Profiles.Keys.Order());
        foreach (var (user, p) in a.Profiles)
        {
            Assert.Equal(Bits(p.Vector), Bits(b.Profiles[user].Vector));
            Assert.Equal(p.EventsApplied, b.Profiles[user].EventsApplied);
        }
        for (var k = 0; k < a.Snapshot.SegmentCount; k++)
        {
            Assert.Equal(Bits(a.Snapshot.Centroid(k)), Bits(b.Snapshot.Centroid(k)));
            Assert.Equal(a.Snapshot.Weights[k], b.Snapshot.Weights[k]);
        }
        foreach (var user in a.Profiles.Keys)
            Assert.Equal(a.Recommend(user, 10), b.Recommend(user, 10), RecommendationComparer.Instance);
    }

    /// <summary>
    /// A profile depends only on its user's events, not on when the global model was folded: the property that lets
    /// a replay after a failover, with other batch boundaries and other partitions' timing, come out bit for bit.
    /// </summary>
    [Fact]
    public void Profiles_do_not_depend_on_when_the_global_model_is_folded()
    {
        var events = Streams.Grouped(4_000);
        var a = Replay(events, batchEvents: 7);
        var b = Replay(events, batchEvents: 1_000);
        Assert.NotEqual(a.Snapshot.Version, b.Snapshot.Version);
        foreach (var (user, p) in a.Profiles)
        {
            Assert.Equal(Bits(p.Vector), Bits(b.Profiles[user].Vector));
            Assert.Equal(p.Seen.Items(), b.Profiles[user].Seen.Items());
            Assert.Equal(p.RecentPositives.Oldest(), b.Profiles[user].RecentPositives.Oldest());
        }
    }

    private sealed class RecommendationComparer : IEqualityComparer<Recommendation>
    {
        public static readonly RecommendationComparer Instance = new();

        public bool Equals(Recommendation? x, Recommendation? y) =>
            x!.ColdStart == y!.ColdStart
            && x.Items.Select(i => (i.ItemId, i.Score, i.Personal, i.Related)).SequenceEqual(y.Items.Select(i => (i.ItemId, i.Score, i.Personal, i.Related)))
            && x.Memberships.SequenceEqual(y.Memberships);

        public int GetHashCode(Recommendation obj) => obj.Items.Count;
    }
}
