namespace RecoActors.Core;

/// <summary>Gives every item id a dense index, in order of first appearance, so the maths works on arrays.</summary>
/// <remarks>Indexes are local to a process; anything that crosses nodes carries item ids.</remarks>
public sealed class ItemCatalog
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];

    /// <summary>Number of items known.</summary>
    public int Count => _ids.Count;

    /// <summary>The index of an item, adding it if new.</summary>
    public int GetOrAdd(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        if (_index.TryGetValue(itemId, out var i)) return i;
        i = _ids.Count;
        _index.Add(itemId, i);
        _ids.Add(itemId);
        return i;
    }

    /// <summary>The index of a known item.</summary>
    public bool TryGet(string itemId, out int index) => _index.TryGetValue(itemId, out index);

    /// <summary>The id of an index.</summary>
    public string this[int index] => _ids[index];

    /// <summary>A copy of the ids, by index.</summary>
    public string[] Snapshot() => [.. _ids];
}
