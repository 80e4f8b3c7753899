namespace RecoActors.Core;

/// <summary>
/// The items' key vectors as signed bytes (<see cref="Quantized"/>), row after row in blocks of at most 64 kB, for
/// the nearest-item scan; immutable, and the next version shares every block that holds no changed row.
/// </summary>
/// <remarks>
/// Rows stay contiguous within a block because the scan reads every row of the catalogue per ranking, and rows as
/// separate arrays scattered over the heap would make it a chase of pointers (tried: the serving benchmark got worse,
/// though in runs that the JIT's tiering also disturbed, so the share of each is not known). Blocks keep the scan a
/// stream and keep a fold's copies off the large-object heap.
/// </remarks>
internal sealed class QuantizedRows
{
    private const int BlockBytes = 1 << 16;

    private readonly sbyte[][] _blocks;

    /// <summary>No rows, of <paramref name="dimension"/> bytes each.</summary>
    public static QuantizedRows Empty(int dimension) => new([], 0, dimension);

    private QuantizedRows(sbyte[][] blocks, int count, int dimension)
    {
        _blocks = blocks;
        Count = count;
        Dimension = dimension;
        BlockRows = Math.Max(1, BlockBytes / dimension);
    }

    /// <summary>The number of rows.</summary>
    public int Count { get; }

    /// <summary>Bytes per row.</summary>
    public int Dimension { get; }

    /// <summary>Rows per block (the last block may hold fewer).</summary>
    public int BlockRows { get; }

    /// <summary>The number of blocks.</summary>
    public int Blocks => _blocks.Length;

    /// <summary>Block <paramref name="b"/>'s rows, row after row: rows <c>b·BlockRows</c> on, up to <see cref="Count"/>.</summary>
    public ReadOnlySpan<sbyte> Block(int b) => _blocks[b].AsSpan(0, Math.Min(BlockRows, Count - b * BlockRows) * Dimension);

    /// <summary>
    /// The next version: <paramref name="count"/> rows (never fewer than this one's), where <paramref name="changed"/>
    /// rows and rows new since this version are quantized from <paramref name="rows"/> (zeros where it has none) and
    /// every other row is this version's.
    /// </summary>
    public QuantizedRows With(int count, IReadOnlySet<int> changed, RowTable<float[]> rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, Count);
        var d = Dimension;
        var blocks = new sbyte[(count + BlockRows - 1) / BlockRows][];
        var touched = new bool[blocks.Length];
        foreach (var row in changed)
            if (row < count) touched[row / BlockRows] = true;
        for (var b = 0; b < blocks.Length; b++)
        {
            var start = b * BlockRows;
            var end = Math.Min(start + BlockRows, count);
            if (!touched[b] && end <= Count)
            {
                blocks[b] = _blocks[b];
                continue;
            }
            var block = new sbyte[BlockRows * d];
            if (b < _blocks.Length) _blocks[b].CopyTo(block, 0);
            for (var row = start; row < end; row++)
            {
                if (row < Count && !changed.Contains(row)) continue;
                var target = block.AsSpan((row - start) * d, d);
                if (rows[row] is { } vector) Quantized.Write(vector, target);
                else target.Clear();
            }
            blocks[b] = block;
        }
        return new QuantizedRows(blocks, count, d);
    }
}
