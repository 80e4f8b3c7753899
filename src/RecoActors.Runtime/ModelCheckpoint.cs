using System.Buffers.Binary;
using MessagePack;

namespace RecoActors.Runtime;

/// <summary>
/// The segment model as persisted: everything it learned (<see cref="Core.GlobalModel.Save(Stream)"/>) and where it
/// stands in the partials topic. A node starts from the latest one and reads the topic on from <paramref name="Resume"/>.
/// </summary>
/// <param name="Version">The model's version (folds so far).</param>
/// <param name="Completed">Offset in the partials topic of the last partial folded in.</param>
/// <param name="Resume">Where to read the partials topic on from.</param>
/// <param name="State">The model's state.</param>
[MessagePackObject]
public sealed record ModelCheckpoint(
    [property: Key(0)] long Version,
    [property: Key(1)] long Completed,
    [property: Key(2)] long Resume,
    [property: Key(3)] ReadOnlyMemory<byte> State) : IRuntimeSerializable
{
    // A MessagePack array of four: three int64s and a bin32, each at its widest so that the header has one length.
    private const int HeaderLength = 1 + 3 * 9 + 5;

    // The checkpoint's bytes when it was written encoded (Write); a copy made by `with` encodes itself again.
    private readonly byte[]? _encoded;

    private ModelCheckpoint(long version, long completed, long resume, byte[] encoded) : this(version, completed, resume, encoded.AsMemory(HeaderLength))
    {
        _encoded = encoded;
    }

    private ModelCheckpoint(ModelCheckpoint original)
    {
        (Version, Completed, Resume, State) = (original.Version, original.Completed, original.Resume, original.State);
    }

    /// <summary>The persistence id of a model folded from <paramref name="partialsTopic"/> (one per cluster, the same on every node).</summary>
    public static string PersistenceId(string partialsTopic) => $"model-{partialsTopic}";

    /// <summary>
    /// A checkpoint whose state <paramref name="writeState"/> writes, encoded at once: its bytes are one
    /// array of their exact length, with the state in it (<paramref name="buffer"/> is where it is written first, kept
    /// by the caller for the next).
    /// </summary>
    /// <remarks>
    /// The state is megabytes. Saved as an array of its own and serialized by MessagePack (which writes a value this
    /// large into an array of its own, then copies it out), each save left three copies of it on the large-object
    /// heap, and collections to follow; now it leaves one.
    /// </remarks>
    public static ModelCheckpoint Write(long version, long completed, long resume, MemoryStream buffer, Action<Stream> writeState)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(writeState);
        buffer.SetLength(0);
        writeState(buffer);
        return new ModelCheckpoint(version, completed, resume, Encode(version, completed, resume, buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>The checkpoint's MessagePack bytes (what <see cref="RuntimeSerializer"/> stores), in one array.</summary>
    internal byte[] ToBytes() => _encoded ?? Encode(Version, Completed, Resume, State.Span);

    private static byte[] Encode(long version, long completed, long resume, ReadOnlySpan<byte> state)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(HeaderLength + state.Length);
        state.CopyTo(bytes.AsSpan(HeaderLength));
        WriteHeader(bytes, version, completed, resume);
        return bytes;
    }

    private static void WriteHeader(Span<byte> bytes, long version, long completed, long resume)
    {
        bytes[0] = 0x94; // an array of 4
        Int64(bytes[1..], version);
        Int64(bytes[10..], completed);
        Int64(bytes[19..], resume);
        bytes[28] = 0xc6; // bin 32
        BinaryPrimitives.WriteInt32BigEndian(bytes[29..], bytes.Length - HeaderLength);

        static void Int64(Span<byte> at, long value)
        {
            at[0] = 0xd3;
            BinaryPrimitives.WriteInt64BigEndian(at[1..], value);
        }
    }
}
