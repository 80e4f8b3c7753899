namespace RecoActors.Core;

/// <summary>
/// An immutable table of per-item rows (null: none), in blocks shared between versions: the next version copies only
/// the blocks that hold a changed row and builds only the changed rows.
/// </summary>
/// <remarks>
/// A snapshot used to carry its item vectors as one array of every item's row, rebuilt by every fold: megabytes per
/// fold on the large-object heap, which drove a gen-2 collection every other second on a serving node and put its
/// pauses into the recommendations' tail. A fold changes the rows of the items its batch touched; the rest are
/// shared, and a block of references stays small enough for the ordinary heap.
/// </remarks>
internal sealed class RowTable<T> where T : class
{
    private const int Shift = 10;
    private const int BlockRows = 1 << Shift;
    private const int Mask = BlockRows - 1;

    private readonly T?[][] _blocks;

    /// <summary>No rows.</summary>
    public static readonly RowTable<T> Empty = new([], 0);

    private RowTable(T?[][] blocks, int count)
    {
        _blocks = blocks;
        Count = count;
    }

    /// <summary>The number of rows.</summary>
    public int Count { get; }

    /// <summary>A row, or null where it has none (or past the end).</summary>
    public T? this[int row] => (uint)row < (uint)Count ? _blocks[row >> Shift][row & Mask] : null;

    /// <summary>
    /// The next version: <paramref name="count"/> rows (never fewer than this one's), where <paramref name="changed"/>
    /// rows and rows new since this version are made by <paramref name="make"/> and every other row is this version's.
    /// </summary>
    public RowTable<T> With(int count, IReadOnlySet<int> changed, Func<int, T?> make)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, Count);
        var blocks = new T?[(count + Mask) >> Shift][];
        var touched = new bool[blocks.Length];
        foreach (var row in changed)
            if (row < count) touched[row >> Shift] = true;
        for (var b = 0; b < blocks.Length; b++)
        {
            var start = b << Shift;
            var end = Math.Min(start + BlockRows, count);
            // A block all of whose rows this version already had, none of them changed, is shared as it is.
            if (!touched[b] && end <= Count)
            {
                blocks[b] = _blocks[b];
                continue;
            }
            var block = new T?[BlockRows];
            for (var row = start; row < end; row++)
                block[row - start] = row >= Count || changed.Contains(row) ? make(row) : _blocks[b][row - start];
            blocks[b] = block;
        }
        return new RowTable<T>(blocks, count);
    }
}
