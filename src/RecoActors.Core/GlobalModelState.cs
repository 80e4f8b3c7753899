using System.Text;

namespace RecoActors.Core;

/// <summary>Saving and loading everything a <see cref="GlobalModel"/> has learned, so a node restarts from a snapshot, not from the whole partials log.</summary>
/// <remarks>
/// Items are indexed per process, so the state names them once, as a table of ids, and refers to them by their place
/// in it; a loading node indexes them again. Dictionaries are written and read back in their enumeration order: a
/// fold sums and ranks in that order, so the loaded model folds on exactly as the saved one would (bit for bit).
/// Content vectors are configuration, not state: the loading node sets its own before it loads.
/// </remarks>
public sealed partial class GlobalModel
{
    // Version 2 added the segments' own co-visitation and fusion weights; a version 1 state (saved before) still loads,
    // its segments' neighbours empty until the stream fills them and their weights where the options start them.
    private const byte StateVersion = 2;

    /// <summary>Everything learned, little-endian and versioned. Call it from the thread that folds.</summary>
    public byte[] Save()
    {
        var stream = new MemoryStream();
        Save(stream);
        return stream.ToArray();
    }

    /// <summary>Writes everything learned (<see cref="Save()"/>) to <paramref name="destination"/>, which stays open. Call it from the thread that folds.</summary>
    /// <remarks>The state is megabytes: a node that saves it often writes into a buffer it keeps rather than into a new array each time.</remarks>
    public void Save(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var ids = _catalog.Snapshot();
        using (var w = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(StateVersion);
            w.Write(_k);
            w.Write(_d);
            w.Write(_epoch);
            w.Write(_time);
            w.Write(_version);
            w.Write(ids.Length);
            foreach (var id in ids) w.Write(id);
            foreach (var segment in _segments) foreach (var x in segment.Centroid) w.Write(x);
            foreach (var segment in _segments) w.Write(segment.Weight);
            foreach (var segment in _segments) WriteScores(w, segment.Items);
            WriteScores(w, _popularity);
            w.Write(_collaborative.Count(c => c is not null));
            for (var item = 0; item < _collaborative.Count; item++)
            {
                if (_collaborative[item] is not { } c) continue;
                w.Write(item);
                foreach (var x in c) w.Write(x);
            }
            _coVisits.Save(w);
            foreach (var segment in _segments) segment.CoVisits.Save(w);
            foreach (var segment in _segments) for (var t = 0; t < FusionWeights.Terms; t++) w.Write(segment.FusionWeights[t]);
        }
    }

    /// <summary>
    /// Replaces everything this model has learned with a saved state (<see cref="Save(Stream)"/>) and publishes it; content
    /// vectors set before stay. For a new model, before anything is folded into it.
    /// </summary>
    /// <exception cref="FormatException">Not a state this version can read, truncated, or saved by a model of another K or d.</exception>
    public void Load(ReadOnlySpan<byte> state)
    {
        if (state.IsEmpty || state[0] is not (1 or StateVersion))
            throw new FormatException($"model state version {(state.IsEmpty ? "(empty)" : state[0].ToString(System.Globalization.CultureInfo.InvariantCulture))} is not 1 or {StateVersion}");
        var stateVersion = state[0];
        if (_version != 0) throw new InvalidOperationException("a model state loads into a new model only; this one has folded already");
        try
        {
            using var r = new BinaryReader(new MemoryStream(state.ToArray()), Encoding.UTF8);
            r.ReadByte();
            var (k, d) = (r.ReadInt32(), r.ReadInt32());
            if (k != _k || d != _d) throw new FormatException($"the model state has K={k}, d={d}; this model has K={_k}, d={_d}");
            var (epoch, time, version) = (r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
            var index = new int[r.ReadInt32()];
            for (var i = 0; i < index.Length; i++) index[i] = _catalog.GetOrAdd(r.ReadString());
            var size = Math.Max(_catalog.Count, index.Length == 0 ? 0 : index.Max() + 1);
            int Item(int saved) => (uint)saved < (uint)index.Length ? index[saved] : throw new FormatException($"the model state refers to item {saved} of {index.Length}");

            var centroids = new float[_k * _d];
            for (var i = 0; i < centroids.Length; i++) centroids[i] = r.ReadSingle();
            foreach (var segment in _segments) segment.Restore(centroids.AsSpan(segment.Index * _d, _d), r.ReadDouble());
            foreach (var segment in _segments) ReadScores(r, segment.Items, Item);
            ReadScores(r, _popularity, Item);
            _collaborative.Clear();
            for (var n = r.ReadInt32(); n > 0; n--)
            {
                var item = Item(r.ReadInt32());
                while (_collaborative.Count <= item) _collaborative.Add(null);
                var c = new float[_d];
                for (var i = 0; i < _d; i++) c[i] = r.ReadSingle();
                _collaborative[item] = c;
            }
            _coVisits.Load(r, Item, size);
            if (stateVersion >= 2)
            {
                foreach (var segment in _segments) segment.CoVisits.Load(r, Item, size);
                foreach (var segment in _segments) segment.FusionWeights = new FusionWeights(r.ReadSingle(), r.ReadSingle(), r.ReadSingle(), r.ReadSingle());
            }
            if (r.BaseStream.Position != r.BaseStream.Length) throw new FormatException("the model state has trailing bytes");
            (_epoch, _time, _version) = (epoch, time, version);
            // The snapshot a fold would have published, less its drift: the tops as the segments rank them now.
            var ranking = Ranking();
            ForgetPublishedRows();
            Current = Publish([.. _segments.Select(segment => segment.Rank(ranking))], new double[_k], []);
        }
        catch (EndOfStreamException)
        {
            throw new FormatException("the model state is truncated");
        }
    }

    internal static void WriteScores(BinaryWriter w, Dictionary<int, double> scores)
    {
        w.Write(scores.Count);
        foreach (var (item, score) in scores)
        {
            w.Write(item);
            w.Write(score);
        }
    }

    internal static void ReadScores(BinaryReader r, Dictionary<int, double> scores, Func<int, int> item)
    {
        scores.Clear();
        for (var n = r.ReadInt32(); n > 0; n--) scores[item(r.ReadInt32())] = r.ReadDouble();
    }

    internal static void WriteScores(BinaryWriter w, CoVisitRow row)
    {
        w.Write(row.Count);
        var items = row.Items;
        var counts = row.Counts;
        for (var i = 0; i < items.Length; i++)
        {
            w.Write(items[i]);
            w.Write(counts[i]);
        }
    }

    internal static void ReadScores(BinaryReader r, CoVisitRow row, Func<int, int> item)
    {
        row.Clear();
        for (var n = r.ReadInt32(); n > 0; n--) row.Set(item(r.ReadInt32()), r.ReadDouble());
    }
}
