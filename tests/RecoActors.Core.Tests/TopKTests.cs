namespace RecoActors.Core.Tests;

/// <summary>The top-k selection keeps exactly what a full sort would put first.</summary>
public class TopKTests
{
    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 100)]
    [InlineData(10, 1_000)]
    [InlineData(200, 1_600)]
    [InlineData(500, 300)]
    public void It_keeps_the_best_pairs_best_first_with_ties_to_the_lower_item(int k, int offers)
    {
        var random = new Random(k * 31 + offers);
        // Few distinct scores, so ties are common; items offered in a shuffled order.
        var pairs = Enumerable.Range(0, offers).Select(item => (Item: item, Score: random.Next(20) / 4f)).OrderBy(_ => random.Next()).ToArray();
        var top = new TopK(k);
        foreach (var (item, score) in pairs) top.Offer(item, score);
        Assert.Equal(Math.Min(k, offers), top.Count);

        var expected = pairs.OrderByDescending(p => p.Score).ThenBy(p => p.Item).Take(k).ToArray();
        Assert.Equal(expected, top.Drain());
        Assert.Equal(0, top.Count);

        // Drained, it is empty and selects again from scratch (a fold reuses one for every row).
        foreach (var (item, score) in pairs.Reverse()) top.Offer(item, score);
        Assert.Equal(expected, top.Drain());
    }

    [Fact]
    public void Its_bar_is_the_worst_kept_score_once_full()
    {
        var top = new TopK(3);
        top.Offer(1, 0.5f);
        top.Offer(2, 0.9f);
        Assert.Equal(float.NegativeInfinity, top.Bar);
        top.Offer(3, 0.7f);
        Assert.Equal(0.5f, top.Bar);
        top.Offer(4, 0.8f);
        Assert.Equal(0.7f, top.Bar);
        Assert.Equal([(2, 0.9f), (4, 0.8f), (3, 0.7f)], top.Drain());
    }
}
