using RecoActors.Core;

namespace RecoActors.Core.Tests;

public class PartialCodecTests
{
    private static readonly ModelOptions Options = new() { Dimension = 16, Segments = 3 };

    /// <summary>A partial with every kind of statistic: points, segment items, popularity, keys, positives, co-visits.</summary>
    private static (ModelPartial Partial, ItemCatalog Catalog) Sample(Func<int, string>? name = null)
    {
        name ??= i => $"item-{i}";
        var catalog = new ItemCatalog();
        var model = new GlobalModel(Options, catalog);
        var partial = model.NewPartial();
        var scratch = new float[2 * Options.Dimension];
        var rng = new Random(9);
        var profiles = Enumerable.Range(0, 20).Select(_ => Profile.For(Options)).ToArray();
        for (var e = 0; e < 400; e++)
        {
            var id = name(rng.Next(60));
            ProfileUpdater.Apply(profiles[rng.Next(profiles.Length)], id, catalog.GetOrAdd(id), EventType.Rating, rng.Next(1, 11) / 2f,
                1_600_000_000_000 + e * 1_000L, model.Current, partial, scratch);
        }
        return (partial, catalog);
    }

    [Fact]
    public void A_partial_crosses_to_a_node_with_other_item_indexes_and_encodes_back_to_the_same_bytes()
    {
        var (partial, catalog) = Sample();
        var bytes = PartialCodec.Encode(partial, i => catalog[i]);

        // The receiver has met the items in another order, so every index differs.
        var other = new ItemCatalog();
        foreach (var id in catalog.Snapshot().Reverse()) other.GetOrAdd(id);
        var received = PartialCodec.Decode(bytes, other, Options);

        Assert.Equal(partial.Events, received.Events);
        Assert.Equal(partial.Epoch, received.Epoch);
        Assert.Equal(partial.MaxTimestamp, received.MaxTimestamp);
        Assert.True(partial.CoVisits.Count > 0 && partial.Collaborative.Count > 0 && partial.Examples.Count > 0 && partial.SegmentPositives.Any(p => p.Count > 0),
            "the sample exercises every field");
        Assert.Equal(partial.Examples.Select(e => catalog[e.Item]), received.Examples.Select(e => other[e.Item]));
        Assert.Equal(partial.CoVisits.Select(c => c.Segment), received.CoVisits.Select(c => c.Segment));
        Assert.Equal(bytes, PartialCodec.Encode(received, i => other[i]));
    }

    [Fact]
    public void A_partial_that_is_not_one_this_version_reads_fails_with_the_reason()
    {
        var (partial, catalog) = Sample();
        var bytes = PartialCodec.Encode(partial, i => catalog[i]);

        Assert.Contains("truncated", Assert.Throws<FormatException>(() => PartialCodec.Decode(bytes[..(bytes.Length / 2)], catalog, Options)).Message);
        Assert.Contains("version", Assert.Throws<FormatException>(() => PartialCodec.Decode([9, .. bytes[1..]], catalog, Options)).Message);
        Assert.Contains("K=3", Assert.Throws<FormatException>(() => PartialCodec.Decode(bytes, catalog, Options with { Segments = 4 })).Message);
        Assert.Contains("trailing", Assert.Throws<FormatException>(() => PartialCodec.Decode([.. bytes, 0], catalog, Options)).Message);
    }

    [Fact]
    public void Item_ids_of_any_characters_and_length_cross_to_a_node_that_never_met_them()
    {
        // Multi-byte characters, and ids longer than what is read on the stack.
        var (partial, catalog) = Sample(i => i % 3 == 0 ? $"film-é-日本-{i}" : i % 3 == 1 ? new string('x', 250 + i) : $"😀{i}");
        var bytes = PartialCodec.Encode(partial, i => catalog[i]);

        var fresh = new ItemCatalog();
        var received = PartialCodec.Decode(bytes, fresh, Options);

        Assert.Equal(catalog.Snapshot().Order(StringComparer.Ordinal), fresh.Snapshot().Order(StringComparer.Ordinal));
        Assert.Equal(bytes, PartialCodec.Encode(received, i => fresh[i]));
        Assert.Equal(bytes, PartialCodec.Encode(PartialCodec.Decode(bytes, fresh, Options), i => fresh[i]));
    }
}
