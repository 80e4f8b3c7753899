using RecoActors.Evaluation;

namespace RecoActors.Core.Tests;

public class PrequentialTests
{
    [Fact]
    public void Every_event_is_applied_and_positive_events_with_history_are_asked_first()
    {
        // Each user rates a private item (neutral), then the shared item "hot" (positive).
        var ratings = new List<Rating>();
        for (var u = 0; u < 30; u++)
        {
            ratings.Add(new Rating($"u{u}", $"x{u}", 3f, 1_000_000 + u * 10_000));
            ratings.Add(new Rating($"u{u}", "hot", 5f, 1_000_000 + u * 10_000 + 5_000));
        }
        // A positive first event is not asked about (no history).
        ratings.Add(new Rating("fresh", "hot", 5f, 9_000_000));
        var report = Prequential.Run("synthetic", new RatingsLog(ratings, 0, []), [], new ModelOptions { Dimension = 16, Segments = 2 }, batchEvents: 1);

        Assert.Equal(61, report.Events);
        Assert.Equal(30, report.Evaluated);
        Assert.Equal(["fusion", "k1", "pop", "itemknn"], report.Models.Keys);
        // Only the first user cannot be helped: "hot" is unknown until then.
        Assert.Equal(29.0 / 30, report.Models["pop"].HitRate, 5);
        Assert.Equal(29.0 / 30, report.Models["itemknn"].HitRate, 5);
        Assert.True(report.Models["fusion"].HitRate >= 0.5, $"fusion HR {report.Models["fusion"].HitRate}");
        Assert.All(report.Models.Values, m => Assert.InRange(m.Ndcg, 0, m.HitRate));

        // The ablation adds fusion with each term removed to the same replay, and changes nothing else.
        var ablation = Prequential.Run("synthetic", new RatingsLog(ratings, 0, []), [], new ModelOptions { Dimension = 16, Segments = 2 }, batchEvents: 1, ablate: true);
        Assert.Equal(["fusion", "k1", "fusion-segments", "fusion-personal", "fusion-related", "pop", "itemknn"], ablation.Models.Keys);
        foreach (var name in report.Models.Keys)
            Assert.Equal((report.Models[name].HitRate, report.Models[name].Ndcg), (ablation.Models[name].HitRate, ablation.Models[name].Ndcg));
    }
}
