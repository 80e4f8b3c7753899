using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>POP: items ranked by decayed count of interactions, the same for everyone.</summary>
internal sealed class PopularityModel(long halfLifeMs) : IPrequentialModel
{
    private double[] _scores = new double[1024];
    private long _epoch = long.MinValue;
    private int _items;

    public IReadOnlyList<int> Recommend(string userId, int count, IReadOnlySet<int> exclude)
    {
        var top = new TopK(count);
        for (var i = 0; i < _items; i++)
            if (_scores[i] > 0 && !exclude.Contains(i)) top.Offer(i, (float)_scores[i]);
        return [.. top.Drain().Select(t => t.Item)];
    }

    public void Apply(in Rating rating, int item)
    {
        if (_epoch == long.MinValue) _epoch = rating.Timestamp;
        if (item >= _scores.Length) Array.Resize(ref _scores, Math.Max(item + 1, _scores.Length * 2));
        _items = Math.Max(_items, item + 1);
        var exponent = (double)(rating.Timestamp - _epoch) / halfLifeMs;
        if (exponent > 500)
        {
            // Rebase forward decay before doubles overflow; a common factor changes no ranking.
            var factor = double.Exp2(-exponent);
            for (var i = 0; i < _items; i++) _scores[i] *= factor;
            _epoch = rating.Timestamp;
            exponent = 0;
        }
        _scores[item] += double.Exp2(exponent);
    }
}
