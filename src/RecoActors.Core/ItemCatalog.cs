using System.Collections.Concurrent;

namespace RecoActors.Core;

/// <summary>Gives every item id a dense index, in order of first appearance, so the maths works on arrays.</summary>
/// <remarks>
/// Indexes are local to a process; anything that crosses nodes carries item ids. Shards on several threads add
/// items while folds and rankings read them, so lookups are lock-free and additions take a lock: an index is
/// published only after its id is stored, so whoever holds an index can read its id.
/// </remarks>
public sealed class ItemCatalog
{
    private readonly ConcurrentDictionary<string, int> _index;
    private readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private readonly Lock _gate = new();
    private string[] _ids = new string[1024];
    private int _count;

    /// <summary>An empty catalog.</summary>
    public ItemCatalog()
    {
        _index = new(StringComparer.Ordinal);
        _byChars = _index.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of items known.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The index of an item, adding it if new.</summary>
    public int GetOrAdd(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        if (_index.TryGetValue(itemId, out var i)) return i;
        lock (_gate)
        {
            if (_index.TryGetValue(itemId, out i)) return i;
            i = _count;
            if (i == _ids.Length)
            {
                var grown = new string[i * 2];
                Array.Copy(_ids, grown, i);
                Volatile.Write(ref _ids, grown);
            }
            _ids[i] = itemId;
            Volatile.Write(ref _count, i + 1);
            _index[itemId] = i;
            return i;
        }
    }

    /// <summary>The index of an item, adding it if new; a known item's id is not made into a string.</summary>
    public int GetOrAdd(ReadOnlySpan<char> itemId) => _byChars.TryGetValue(itemId, out var i) ? i : GetOrAdd(itemId.ToString());

    /// <summary>The index of a known item.</summary>
    public bool TryGet(string itemId, out int index) => _index.TryGetValue(itemId, out index);

    /// <summary>The id of an index.</summary>
    public string this[int index] => (uint)index < (uint)Count
        ? Volatile.Read(ref _ids)[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, "no such item index");

    /// <summary>A copy of the ids, by index.</summary>
    public string[] Snapshot()
    {
        var count = Count;
        return Volatile.Read(ref _ids)[..count];
    }
}
