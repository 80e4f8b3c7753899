using System.Runtime.InteropServices;
using RecoActors.Core;

namespace RecoActors.Storage.Tests;

public class ProfileCodecTests
{
    private static readonly ModelOptions Options = new() { Dimension = 16, Segments = 2, SeenCapacity = 8 };

    private static List<BehaviourEvent> Events(int n, int seed)
    {
        var rng = new Random(seed);
        var t = 1_600_000_000_000;
        return [.. Enumerable.Range(0, n).Select(_ => new BehaviourEvent($"u{rng.Next(5)}", $"item-{rng.Next(40)}",
            (EventType)rng.Next(7), rng.Next(1, 11) / 2f, t += rng.Next(1, 10_000_000)))];
    }

    private static byte[] Bits(float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [Fact]
    public void A_restored_profile_equals_the_saved_one_and_goes_on_computing_the_same_bits()
    {
        var model = new Recommender(Options, batchEvents: 50);
        foreach (var e in Events(400, 1)) model.Apply(e);
        model.Flush();
        var original = model.Profile("u1")!;

        var bytes = ProfileCodec.Encode(original, i => model.Catalog[i]);
        var restored = ProfileCodec.Decode(bytes, model.Catalog.GetOrAdd, Options);
        Assert.Equal(Bits(original.Vector), Bits(restored.Vector));
        Assert.Equal(original.Seen.Items(), restored.Seen.Items());
        Assert.Equal(original.RecentPositives.Oldest(), restored.RecentPositives.Oldest());
        Assert.Equal(original.LastTimestamp, restored.LastTimestamp);
        Assert.Equal(original.EventsApplied, restored.EventsApplied);
        Assert.Equal(bytes, ProfileCodec.Encode(restored, i => model.Catalog[i]));

        // The same further events, on the same snapshot, give the same bits and the same contributions.
        var scratch = new float[2 * Options.Dimension];
        var a = model.Model.NewPartial();
        var b = model.Model.NewPartial();
        foreach (var e in Events(200, 2).Select(e => e with { UserId = "u1", Timestamp = e.Timestamp + 1_000_000_000_000 }))
        {
            var item = model.Catalog.GetOrAdd(e.ItemId);
            var sa = ProfileUpdater.Apply(original, e.ItemId, item, e.Type, e.Value, e.Timestamp, model.Snapshot, a, scratch);
            var sb = ProfileUpdater.Apply(restored, e.ItemId, item, e.Type, e.Value, e.Timestamp, model.Snapshot, b, scratch);
            Assert.Equal(sa, sb);
        }
        Assert.Equal(Bits(original.Vector), Bits(restored.Vector));
        Assert.Equal(a.PointSums, b.PointSums);
        Assert.Equal(a.CoVisits, b.CoVisits);
        Assert.Equal(original.Seen.Items(), restored.Seen.Items());
    }

    [Fact]
    public void An_unknown_version_or_damaged_snapshot_is_a_clear_error()
    {
        var profile = new Profile(Options.Dimension, 8);
        var bytes = ProfileCodec.Encode(profile, i => $"i{i}");

        bytes[0] = 9;
        var ex = Assert.Throws<InvalidDataException>(() => ProfileCodec.Decode(bytes, _ => 0, Options));
        Assert.Equal("unknown profile snapshot version 9; this build reads version 1", ex.Message);

        bytes[0] = ProfileCodec.Version;
        ex = Assert.Throws<InvalidDataException>(() => ProfileCodec.Decode(bytes.AsSpan(0, 30), _ => 0, Options));
        Assert.Equal("profile snapshot is truncated", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => ProfileCodec.Decode(bytes, _ => 0, Options with { Dimension = 32 }));
        Assert.Equal("profile snapshot has dimension 16; the model has 32", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => ProfileCodec.Decode([.. bytes, 0], _ => 0, Options));
        Assert.Equal("profile snapshot has 1 bytes past its end", ex.Message);
    }
}
