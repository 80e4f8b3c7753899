namespace RecoActors.Core.Tests;

/// <summary>A co-visitation row counts and enumerates exactly as the dictionary it replaced, so the model's sums keep their bits.</summary>
public class CoVisitRowTests
{
    [Theory]
    [InlineData(10, 50)]
    [InlineData(300, 5_000)]
    [InlineData(2_000, 20_000)]
    public void It_counts_and_enumerates_as_a_dictionary_in_first_counted_order(int items, int adds)
    {
        var random = new Random(items + adds);
        var row = new CoVisitRow();
        var reference = new Dictionary<int, double>();
        for (var n = 0; n < adds; n++)
        {
            // Item indexes spread over a catalogue, many of them sharing buckets.
            var item = random.Next(items) * 97;
            var amount = random.NextDouble();
            row.Add(item, amount);
            reference[item] = reference.GetValueOrDefault(item) + amount;
        }
        Assert.Equal(reference.Count, row.Count);
        Assert.Equal(reference.Keys, row.Items.ToArray());
        Assert.Equal(reference.Values, row.Counts.ToArray());
    }

    [Fact]
    public void Cleared_and_filled_again_it_keeps_the_new_order_and_finds_every_pair()
    {
        var row = new CoVisitRow();
        for (var item = 0; item < 1_000; item++) row.Add(item, item);
        row.Clear();
        Assert.Equal(0, row.Count);
        int[] kept = [999, 3, 512, 7];
        foreach (var item in kept) row.Set(item, item / 2.0);
        row.Add(512, 1);
        row.Add(4, 1);
        Assert.Equal([999, 3, 512, 7, 4], row.Items.ToArray());
        Assert.Equal([499.5, 1.5, 257, 3.5, 1], row.Counts.ToArray());
    }

    [Fact]
    public void A_copy_has_storage_of_its_own()
    {
        var row = new CoVisitRow();
        for (var item = 0; item < 100; item++) row.Add(item, 1);
        var copy = row.Copy();
        row.Counts[0] = 5;
        row.Add(100, 1);
        Assert.Equal(100, copy.Count);
        Assert.Equal(1, copy.Counts[0]);
        Assert.Equal(row.Items[..100].ToArray(), copy.Items.ToArray());
    }
}
