using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using RecoActors.Core;

namespace RecoActors.Storage;

/// <summary>
/// The versioned binary form of a <see cref="Profile"/>. Version 1, little-endian:
/// <c>u8 version · u16 d · i64 lastTimestamp · i64 eventsApplied · f32×d vector ·
/// u16 n, n×(u8 len, utf8 itemId) seen, oldest first · u16 m, m×(u8 len, utf8 itemId) recent positives, oldest first</c>.
/// Floats are stored as their bits, so a restored profile continues bit for bit.
/// </summary>
public static class ProfileCodec
{
    /// <summary>The version this build writes.</summary>
    public const byte Version = 1;

    /// <summary>Encodes a profile; item indexes are written as item ids, which mean the same on every node.</summary>
    public static byte[] Encode(Profile profile, Func<int, string> itemId)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(itemId);
        var seen = profile.Seen.Items().Select(itemId).ToList();
        var recent = profile.RecentPositives.Oldest().Select(itemId).ToList();
        var size = 1 + 2 + 8 + 8 + 4 * profile.Vector.Length + 2 + 2
            + seen.Sum(s => 1 + Encoding.UTF8.GetByteCount(s)) + recent.Sum(s => 1 + Encoding.UTF8.GetByteCount(s));
        var buffer = new byte[size];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(span[1..], checked((ushort)profile.Vector.Length));
        BinaryPrimitives.WriteInt64LittleEndian(span[3..], profile.LastTimestamp);
        BinaryPrimitives.WriteInt64LittleEndian(span[11..], profile.EventsApplied);
        var at = 19;
        MemoryMarshal.AsBytes(profile.Vector.AsSpan()).CopyTo(span[at..]);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("snapshots are little-endian");
        at += 4 * profile.Vector.Length;
        at = WriteIds(span, at, seen);
        WriteIds(span, at, recent);
        return buffer;
    }

    /// <summary>Decodes a snapshot; throws <see cref="InvalidDataException"/> on an unknown version or damaged bytes.</summary>
    /// <param name="snapshot">The bytes.</param>
    /// <param name="itemIndex">Maps an item id to this process's index (adding it if new).</param>
    /// <param name="options">The model options (capacities, dimension).</param>
    public static Profile Decode(ReadOnlySpan<byte> snapshot, Func<string, int> itemIndex, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(itemIndex);
        ArgumentNullException.ThrowIfNull(options);
        if (snapshot.IsEmpty) throw new InvalidDataException("empty profile snapshot");
        if (snapshot[0] != Version)
            throw new InvalidDataException($"unknown profile snapshot version {snapshot[0]}; this build reads version {Version}");
        try
        {
            var d = BinaryPrimitives.ReadUInt16LittleEndian(snapshot[1..]);
            if (d != options.Dimension)
                throw new InvalidDataException($"profile snapshot has dimension {d}; the model has {options.Dimension}");
            var lastTimestamp = BinaryPrimitives.ReadInt64LittleEndian(snapshot[3..]);
            var events = BinaryPrimitives.ReadInt64LittleEndian(snapshot[11..]);
            var vector = MemoryMarshal.Cast<byte, float>(snapshot.Slice(19, 4 * d)).ToArray();
            var at = 19 + 4 * d;
            var seen = ReadIds(snapshot, ref at, itemIndex);
            var recent = ReadIds(snapshot, ref at, itemIndex);
            if (at != snapshot.Length) throw new InvalidDataException($"profile snapshot has {snapshot.Length - at} bytes past its end");
            return Profile.Restore(vector, options.SeenCapacity, seen, options.RecentPositives, recent, lastTimestamp, events);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidDataException("profile snapshot is truncated", ex);
        }
    }

    private static int WriteIds(Span<byte> span, int at, List<string> ids)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], checked((ushort)ids.Count));
        at += 2;
        foreach (var id in ids)
        {
            var n = Encoding.UTF8.GetBytes(id, span[(at + 1)..]);
            span[at] = checked((byte)n);
            at += 1 + n;
        }
        return at;
    }

    private static List<int> ReadIds(ReadOnlySpan<byte> span, ref int at, Func<string, int> itemIndex)
    {
        var count = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
        at += 2;
        var items = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            var n = span[at];
            items.Add(itemIndex(Encoding.UTF8.GetString(span.Slice(at + 1, n))));
            at += 1 + n;
        }
        return items;
    }
}
