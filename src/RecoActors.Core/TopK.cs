namespace RecoActors.Core;

/// <summary>Keeps the k best (score, item) pairs seen; ties go to the lower item index, so results are deterministic.</summary>
/// <remarks>
/// A binary heap of its own, worst pair at the root, compared inline: with <see cref="PriorityQueue{TElement, TPriority}"/>
/// and a comparer delegate, offering and draining were 45% of a fold's time (when the fold ranked co-visitation rows
/// with it; it now selects them by <see cref="Pairs"/>) and a share of every ranking.
/// </remarks>
public sealed class TopK
{
    private readonly int _k;
    private (float Score, int Item)[] _heap;
    private int _count;

    /// <summary>Creates an empty selection of at most <paramref name="k"/> pairs.</summary>
    public TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        _k = k;
        _heap = new (float, int)[Math.Min(k, 64)];
    }

    /// <summary>How many pairs are kept.</summary>
    public int Count => _count;

    /// <summary>
    /// The score an offer must beat to be kept (−∞ until full). When items are offered in ascending index order,
    /// <c>score &gt; Bar</c> is exactly the test <see cref="Offer"/> applies, so a scan can skip work below it.
    /// </summary>
    public float Bar => _count < _k ? float.NegativeInfinity : _heap[0].Score;

    /// <summary>Considers a pair.</summary>
    public void Offer(int item, float score)
    {
        if (_k == 0) return;
        var pair = (score, item);
        if (_count < _k)
        {
            if (_count == _heap.Length) Array.Resize(ref _heap, (int)Math.Min(_k, 2L * _heap.Length));
            SiftUp(_count++, pair);
        }
        else if (Compare(pair, _heap[0]) > 0) SiftDown(0, pair);
    }

    /// <summary>The kept pairs, best first; the selection is empty afterwards.</summary>
    public (int Item, float Score)[] Drain()
    {
        var kept = _heap.AsSpan(0, _count);
        // Heap sort in place: the worst pair left goes to the end each time, so the pairs end best first. (Sorting the
        // span with a comparer made a delegate per drain, and a fold drained thousands.)
        for (var end = _count - 1; end > 0; end--)
        {
            var worst = _heap[0];
            _count = end;
            SiftDown(0, _heap[end]);
            _heap[end] = worst;
        }
        var result = new (int Item, float Score)[kept.Length];
        for (var i = 0; i < kept.Length; i++) result[i] = (kept[i].Item, kept[i].Score);
        _count = 0;
        return result;
    }

    /// <summary>Worse pairs first: a lower score, or an equal score and a higher item index.</summary>
    private static int Compare((float Score, int Item) a, (float Score, int Item) b) =>
        a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Item.CompareTo(a.Item);

    private void SiftUp(int i, (float Score, int Item) pair)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (Compare(pair, _heap[parent]) >= 0) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = pair;
    }

    private void SiftDown(int i, (float Score, int Item) pair)
    {
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && Compare(_heap[child + 1], _heap[child]) < 0) child++;
            if (Compare(_heap[child], pair) >= 0) break;
            _heap[i] = _heap[child];
            i = child;
        }
        _heap[i] = pair;
    }
}
