using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RecoActors.Core.Tests;

/// <summary>A snapshot shares the item rows a fold did not change, and what it shares equals what a fresh build makes.</summary>
public class SnapshotRowsTests
{
    private static readonly ModelOptions Options = new() { Dimension = 64, Segments = 4, Seed = 5 };
    private const int Items = 2_500;

    private static Recommender NewModel()
    {
        var model = new Recommender(Options, batchEvents: 100);
        var random = new Random(11);
        for (var i = 0; i < Items; i++)
        {
            var id = $"i{i}";
            model.Catalog.GetOrAdd(id);
            // A third of the items have content, as a catalogue with text for some of its items.
            if (i % 3 == 0) model.SetItemVector(id, [.. Enumerable.Range(0, Options.Dimension).Select(_ => (float)(random.NextDouble() - 0.5))]);
        }
        return model;
    }

    private static IEnumerable<BehaviourEvent> Events(int count, int items, int seed)
    {
        var random = new Random(seed);
        for (var e = 0; e < count; e++)
            yield return new BehaviourEvent($"u{random.Next(40)}", $"i{random.Next(items)}", EventType.Rating, random.Next(1, 6), Streams.T0 + e * 60_000L + seed * 1_000_000_000L);
    }

    [Fact]
    public void A_fold_shares_the_rows_it_did_not_change_and_they_equal_rows_made_afresh()
    {
        var running = NewModel();
        foreach (var ev in Events(6_000, Items, seed: 1)) running.Apply(ev);
        // Now a batch that touches only items of the first block.
        var before = running.Snapshot;
        foreach (var ev in Events(100, 50, seed: 2)) running.Apply(ev);
        var after = running.Snapshot;
        Assert.Equal(before.Version + 1, after.Version);

        // An item the batch rated highly: its collaborative vector, so its key row, moved.
        var touched = running.Catalog.GetOrAdd(Events(100, 50, seed: 2).First(e => e.Value >= 4).ItemId);
        Assert.NotSame(before.ItemVectors[touched], after.ItemVectors[touched]);
        Assert.Same(before.ItemVectors[Items - 1], after.ItemVectors[Items - 1]);
        var last = after.QuantizedItemVectors.Blocks - 1;
        Assert.True(last > 0, "the catalogue spans several blocks");
        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(before.QuantizedItemVectors.Block(last)), ref MemoryMarshal.GetReference(after.QuantizedItemVectors.Block(last))),
            "the last block of quantized rows, which the batch did not touch, is shared");

        // A model loaded from the saved state makes every row afresh: the shared rows must be the same bits.
        var fresh = NewModel();
        fresh.Model.Load(running.Model.Save());
        var rebuilt = fresh.Snapshot;
        Assert.Equal(after.ItemCount, rebuilt.ItemCount);
        for (var item = 0; item < after.ItemCount; item++)
        {
            Assert.Equal(after.ItemVector(item).ToArray(), rebuilt.ItemVector(item).ToArray());
            Assert.Equal(after.Related(item), rebuilt.Related(item));
        }
        for (var b = 0; b < after.QuantizedItemVectors.Blocks; b++)
            Assert.Equal(after.QuantizedItemVectors.Block(b).ToArray(), rebuilt.QuantizedItemVectors.Block(b).ToArray());
    }

    [Fact]
    public void An_item_without_a_vector_scores_zero_and_has_a_zero_row()
    {
        var model = NewModel();
        // Item 1 has no content and no events: no vector yet.
        foreach (var ev in Events(500, 3, seed: 3).Where(e => e.ItemId != "i1")) model.Apply(ev);
        model.Flush();
        var snapshot = model.Snapshot;
        Assert.Null(snapshot.ItemVectors[1]);
        Assert.Equal(new float[Options.Dimension], snapshot.ItemVector(1).ToArray());
        Assert.All(snapshot.QuantizedItemVectors.Block(0).Slice(Options.Dimension, Options.Dimension).ToArray(), b => Assert.Equal(0, b));
    }
}
