namespace RecoActors.Core;

/// <summary>Keeps the k best (score, item) pairs seen; ties go to the lower item index, so results are deterministic.</summary>
public sealed class TopK
{
    private readonly PriorityQueue<int, (float Score, int Item)> _heap;
    private readonly int _k;

    private static readonly Comparer<(float Score, int Item)> WorstFirst = Comparer<(float Score, int Item)>.Create(
        (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Item.CompareTo(a.Item));

    /// <summary>Creates an empty selection of at most <paramref name="k"/> pairs.</summary>
    public TopK(int k)
    {
        _k = k;
        _heap = new PriorityQueue<int, (float, int)>(Math.Min(k, 4096) + 1, WorstFirst);
    }

    /// <summary>How many pairs are kept.</summary>
    public int Count => _heap.Count;

    /// <summary>
    /// The score an offer must beat to be kept (−∞ until full). When items are offered in ascending index order,
    /// <c>score &gt; Bar</c> is exactly the test <see cref="Offer"/> applies, so a scan can skip work below it.
    /// </summary>
    public float Bar
    {
        get
        {
            if (_heap.Count < _k) return float.NegativeInfinity;
            _heap.TryPeek(out _, out var worst);
            return worst.Score;
        }
    }

    /// <summary>Considers a pair.</summary>
    public void Offer(int item, float score)
    {
        if (_k == 0) return;
        if (_heap.Count < _k)
        {
            _heap.Enqueue(item, (score, item));
            return;
        }
        _heap.TryPeek(out _, out var worst);
        if (WorstFirst.Compare((score, item), worst) > 0) _heap.EnqueueDequeue(item, (score, item));
    }

    /// <summary>The kept pairs, best first.</summary>
    public (int Item, float Score)[] Drain()
    {
        var result = new (int Item, float Score)[_heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            _heap.TryDequeue(out var item, out var p);
            result[i] = (item, p.Score);
        }
        return result;
    }
}
