namespace RecoActors.Core.Tests;

/// <summary>Pairs as keys select and sort exactly as <see cref="TopK"/> keeps them (a co-visitation row's ranking).</summary>
public class PairsTests
{
    [Theory]
    [InlineData(1, 100)]
    [InlineData(10, 1_000)]
    [InlineData(50, 400)]
    [InlineData(200, 1_600)]
    [InlineData(500, 300)]
    public void Selecting_and_sorting_keys_keeps_what_a_TopK_keeps(int k, int count)
    {
        var random = new Random(k * 31 + count);
        // Few distinct scores (ties are common), negative and zero among them, items in a shuffled order.
        var pairs = Enumerable.Range(0, count).Select(item => (Item: item, Score: (random.Next(40) - 8) / 4f)).OrderBy(_ => random.Next()).ToArray();
        var top = new TopK(k);
        foreach (var (item, score) in pairs) top.Offer(item, score);

        var keys = pairs.Select(p => Pairs.Key(p.Score, p.Item)).ToArray();
        var kept = Math.Min(k, count);
        Pairs.SelectBest(keys, kept);
        var best = keys[..kept];
        Array.Sort(best);

        Assert.Equal(top.Drain(), best.Select(key => (Pairs.Item(key), Pairs.Score(key))).ToArray());
    }

    [Fact]
    public void Selection_puts_the_kth_best_at_k_minus_one_and_nothing_better_after_it()
    {
        var random = new Random(7);
        var keys = Enumerable.Range(0, 1_000).Select(item => Pairs.Key((float)random.NextDouble(), item)).ToArray();
        var sorted = keys.Order().ToArray();
        Pairs.SelectBest(keys, 100);
        Assert.Equal(sorted[99], keys[99]);
        Assert.All(keys[..99], key => Assert.True(key < sorted[99]));
        Assert.All(keys[100..], key => Assert.True(key > sorted[99]));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1e-30f)]
    [InlineData(0.25f)]
    [InlineData(-3.5f)]
    [InlineData(float.MaxValue)]
    [InlineData(float.NegativeInfinity)]
    public void A_key_gives_back_its_score_and_item(float score)
    {
        var key = Pairs.Key(score, 123_456);
        Assert.Equal(score, Pairs.Score(key));
        Assert.Equal(123_456, Pairs.Item(key));
    }
}
