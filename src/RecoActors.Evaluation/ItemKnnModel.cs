using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>
/// Incremental item-kNN, the strong reference: cosine over co-occurrence of positive events (rating ≥ 4) within
/// each user's recent positives; a user's candidates are the neighbours of their latest positives. Users with
/// too few neighbours are filled from popularity.
/// </summary>
internal sealed class ItemKnnModel : IPrequentialModel
{
    private const float PositiveRating = 4f;
    private const int History = 50, Anchors = 10;

    private readonly Dictionary<int, Dictionary<int, int>> _cooccurrence = [];
    private readonly Dictionary<int, int> _positives = [];
    private readonly Dictionary<string, SeenItems> _recent = new(StringComparer.Ordinal);
    private readonly PopularityModel _popularity;

    public ItemKnnModel(long halfLifeMs) => _popularity = new PopularityModel(halfLifeMs);

    public IReadOnlyList<int> Recommend(string userId, int count, IReadOnlySet<int> exclude)
    {
        var scores = new Dictionary<int, float>();
        if (_recent.TryGetValue(userId, out var recent))
        {
            foreach (var j in recent.Items().Reverse().Take(Anchors))
            {
                if (!_cooccurrence.TryGetValue(j, out var neighbours)) continue;
                var nj = _positives[j];
                foreach (var (c, together) in neighbours)
                    if (!exclude.Contains(c))
                        scores[c] = scores.GetValueOrDefault(c) + together / MathF.Sqrt((float)nj * _positives[c]);
            }
        }
        var top = new TopK(count);
        foreach (var (item, s) in scores) top.Offer(item, s);
        var result = top.Drain().Select(t => t.Item).ToList();
        if (result.Count < count)
            foreach (var item in _popularity.Recommend(userId, count, exclude))
            {
                if (result.Count == count) break;
                if (!result.Contains(item)) result.Add(item);
            }
        return result;
    }

    public void Apply(in Rating rating, int item)
    {
        _popularity.Apply(rating, item);
        if (rating.Value < PositiveRating) return;
        if (!_recent.TryGetValue(rating.UserId, out var recent)) _recent[rating.UserId] = recent = new SeenItems(History);
        foreach (var j in recent.Items())
        {
            if (j == item) continue;
            Count(item, j);
            Count(j, item);
        }
        _positives[item] = _positives.GetValueOrDefault(item) + 1;
        recent.Add(item);
    }

    private void Count(int a, int b)
    {
        if (!_cooccurrence.TryGetValue(a, out var n)) _cooccurrence[a] = n = [];
        n[b] = n.GetValueOrDefault(b) + 1;
    }
}
