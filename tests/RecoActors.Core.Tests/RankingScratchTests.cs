namespace RecoActors.Core.Tests;

/// <summary>
/// A thread's rankings share one working table (Fusion's scratch): nothing of one query may leak into the next, however
/// many items the earlier one touched or how many segments it was spread over.
/// </summary>
public class RankingScratchTests
{
    [Fact]
    public void A_ranking_after_many_others_on_its_thread_equals_the_same_ranking_on_a_fresh_thread()
    {
        // Thousands of items and many co-visited neighbours, so one query touches more items than the table starts with.
        var r = new Recommender(new ModelOptions { Segments = 6, Dimension = 16, NearestSegments = 3, CoVisitNeighbors = 400, CoVisitAnchors = 10, NearestItems = 300 }, 500);
        foreach (var e in Streams.Grouped(40_000, users: 200, items: 3_000, groups: 6)) r.Apply(e);
        r.Flush();
        var users = r.Profiles.Keys.Order().ToArray();

        // On this thread: every user in turn, twice over, so each query follows others that filled the table.
        var here = users.Select(u => r.Recommend(u, 10)).ToArray();
        var again = users.Reverse().Select(u => r.Recommend(u, 10)).Reverse().ToArray();
        // Each user alone on a thread of its own: a table nothing else has used.
        var fresh = users.Select(u => OnFreshThread(() => r.Recommend(u, 10))).ToArray();

        Assert.Contains(here, x => x.Memberships.Count > 1);
        Assert.Contains(here, x => x.Items.Any(i => i.Related > 0));
        for (var i = 0; i < users.Length; i++)
        {
            Assert.Equal(Flat(fresh[i]), Flat(here[i]));
            Assert.Equal(Flat(fresh[i]), Flat(again[i]));
        }
    }

    private static (string, float, float, float, string)[] Flat(Recommendation x) =>
        [.. x.Items.Select(i => (i.ItemId, i.Score, i.Personal, i.Related, string.Join(",", i.Segments.Select(s => $"{s.Segment}:{s.Amount}"))))];

    private static T OnFreshThread<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }
}
