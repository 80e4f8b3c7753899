using System.Buffers.Binary;
using System.Text;

namespace RecoActors.Core;

/// <summary>
/// The wire form of a <see cref="ModelPartial"/> for exchange between nodes: item indexes are local to a process,
/// so items travel as ids and are indexed again by the receiver. Little-endian, versioned.
/// </summary>
public static class PartialCodec
{
    // Version 2 added the segments' positives, each co-visitation's segment and the fusion weights' examples; a
    // version 1 partial (written before) still reads, as one whose pairs belong to no segment and with no examples.
    private const byte Version = 2;

    // A fold's partial is hundreds of kilobytes: written into a growing stream of its own each time, it left several
    // large-object-heap arrays per fold behind, and those start the full background collections that a serving node's
    // latency tail shows. The thread's stream is kept and only the result is allocated.
    [ThreadStatic] private static MemoryStream? t_stream;

    /// <summary>Encodes a partial, naming each item by <paramref name="idOf"/>.</summary>
    public static byte[] Encode(ModelPartial partial, Func<int, string> idOf)
    {
        ArgumentNullException.ThrowIfNull(partial);
        ArgumentNullException.ThrowIfNull(idOf);
        var stream = t_stream ??= new MemoryStream();
        stream.SetLength(0);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            w.Write(partial.Segments);
            w.Write(partial.Dimension);
            w.Write(partial.Epoch);
            w.Write(partial.MaxTimestamp);
            w.Write(partial.Events);
            foreach (var x in partial.PointSums) w.Write(x);
            foreach (var x in partial.PointCounts) w.Write(x);
            foreach (var segment in partial.SegmentItems) WriteScores(w, segment, idOf);
            foreach (var segment in partial.SegmentPositives) WriteScores(w, segment, idOf);
            WriteScores(w, partial.Popularity, idOf);
            WriteScores(w, partial.Positives, idOf);
            w.Write(partial.Collaborative.Count);
            foreach (var (item, vector) in partial.Collaborative)
            {
                w.Write(idOf(item));
                foreach (var x in vector) w.Write(x);
            }
            w.Write(partial.CoVisits.Count);
            foreach (var (earlier, later, weight, segment) in partial.CoVisits)
            {
                w.Write(idOf(earlier));
                w.Write(idOf(later));
                w.Write(weight);
                w.Write(segment);
            }
            w.Write(partial.Examples.Count);
            foreach (var (unit, anchors, seen, item) in partial.Examples)
            {
                foreach (var x in unit) w.Write(x);
                w.Write(anchors.Length);
                foreach (var anchor in anchors) w.Write(idOf(anchor));
                w.Write(seen.Length);
                foreach (var other in seen) w.Write(idOf(other));
                w.Write(idOf(item));
            }
        }
        return stream.ToArray();
    }

    /// <summary>Decodes a partial, indexing each item id in <paramref name="catalog"/>.</summary>
    /// <exception cref="FormatException">Not a partial this version can read, or truncated.</exception>
    public static ModelPartial Decode(byte[] bytes, ItemCatalog catalog, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        if (bytes.Length == 0 || bytes[0] is not (1 or Version))
            throw new FormatException($"model partial version {(bytes.Length == 0 ? "(empty)" : bytes[0].ToString())} is not 1 or {Version}");
        var version = bytes[0];
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            r.ReadByte();
            var segments = r.ReadInt32();
            var dimension = r.ReadInt32();
            if (segments != options.Segments || dimension != options.Dimension)
                throw new FormatException($"model partial has K={segments}, d={dimension}; this node has K={options.Segments}, d={options.Dimension}");
            var partial = new ModelPartial(segments, dimension, r.ReadInt64());
            partial.Restore(maxTimestamp: r.ReadInt64(), events: r.ReadInt64());
            for (var i = 0; i < partial.PointSums.Length; i++) partial.PointSums[i] = r.ReadDouble();
            for (var i = 0; i < partial.PointCounts.Length; i++) partial.PointCounts[i] = r.ReadDouble();
            foreach (var segment in partial.SegmentItems) ReadScores(r, segment, catalog);
            if (version >= 2) foreach (var segment in partial.SegmentPositives) ReadScores(r, segment, catalog);
            ReadScores(r, partial.Popularity, catalog);
            ReadScores(r, partial.Positives, catalog);
            for (var n = r.ReadInt32(); n > 0; n--)
            {
                var item = ReadItem(r, catalog);
                var vector = new float[dimension];
                for (var i = 0; i < dimension; i++) vector[i] = r.ReadSingle();
                partial.Collaborative[item] = vector;
            }
            var coVisits = r.ReadInt32();
            // Sized once: grown by doubling, the list of a large partial left its smaller copies on the large-object heap.
            partial.CoVisits.EnsureCapacity(Math.Clamp(coVisits, 0, bytes.Length / 16));
            for (var n = coVisits; n > 0; n--)
            {
                var (earlier, later, weight, segment) = (ReadItem(r, catalog), ReadItem(r, catalog), r.ReadDouble(), version >= 2 ? r.ReadInt32() : -1);
                if (segment < -1 || segment >= segments) throw new FormatException($"model partial has a co-visitation of segment {segment} of {segments}");
                partial.CoVisits.Add((earlier, later, weight, segment));
            }
            for (var n = version >= 2 ? r.ReadInt32() : 0; n > 0; n--)
            {
                var unit = new float[dimension];
                for (var i = 0; i < dimension; i++) unit[i] = r.ReadSingle();
                var anchors = new int[r.ReadInt32()];
                if (anchors.Length > options.CoVisitAnchors) throw new FormatException($"model partial has an example with {anchors.Length} anchors; this node keeps {options.CoVisitAnchors}");
                for (var i = 0; i < anchors.Length; i++) anchors[i] = ReadItem(r, catalog);
                var seen = new int[r.ReadInt32()];
                if (seen.Length > FusionExample.SeenKept) throw new FormatException($"model partial has an example with {seen.Length} seen items; at most {FusionExample.SeenKept} are kept");
                for (var i = 0; i < seen.Length; i++) seen[i] = ReadItem(r, catalog);
                partial.Examples.Add(new FusionExample(unit, anchors, seen, ReadItem(r, catalog)));
            }
            if (r.BaseStream.Position != r.BaseStream.Length) throw new FormatException("model partial has trailing bytes");
            return partial;
        }
        catch (EndOfStreamException)
        {
            throw new FormatException("model partial is truncated");
        }
    }

    private static void WriteScores(BinaryWriter w, Dictionary<int, double> scores, Func<int, string> idOf)
    {
        w.Write(scores.Count);
        foreach (var (item, score) in scores)
        {
            w.Write(idOf(item));
            w.Write(score);
        }
    }

    private static void ReadScores(BinaryReader r, Dictionary<int, double> scores, ItemCatalog catalog)
    {
        for (var n = r.ReadInt32(); n > 0; n--) scores[ReadItem(r, catalog)] = r.ReadDouble();
    }

    /// <summary>Reads an item id as <see cref="BinaryReader.ReadString"/> would (its UTF-8 length, then its bytes) and indexes it.</summary>
    /// <remarks>A partial names tens of thousands of items, nearly all known: looked up by their characters, they are not made into strings.</remarks>
    private static int ReadItem(BinaryReader r, ItemCatalog catalog)
    {
        const int OnStack = 256;
        var length = r.Read7BitEncodedInt();
        if (length < 0) throw new FormatException($"model partial has an item id of length {length}");
        var bytes = (length <= OnStack ? stackalloc byte[OnStack] : new byte[length])[..length];
        if (r.Read(bytes) != length) throw new EndOfStreamException();
        var chars = length <= OnStack ? stackalloc char[OnStack] : new char[length];
        return catalog.GetOrAdd(chars[..Encoding.UTF8.GetChars(bytes, chars)]);
    }
}
