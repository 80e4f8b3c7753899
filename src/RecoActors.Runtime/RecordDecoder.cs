using Confluent.Kafka;
using RecoActors.Core;
using RecoActors.Kafka;

namespace RecoActors.Runtime;

/// <summary>
/// The feed's key and value deserializer: decodes a record's value into an event straight from librdkafka's buffer,
/// and keeps the raw key and value of the last record in buffers of its own, for the dead-letter topic.
/// </summary>
/// <remarks>
/// Deserializing to <c>byte[]</c> first cost two arrays per record (about 170 bytes), copied and collected, for the
/// few records that end up as dead letters. Confluent.Kafka calls the key's deserializer, then the value's, within one
/// <c>Consume</c>, on the feed's thread; the buffers hold that record until the next <c>Consume</c>.
/// </remarks>
internal sealed class RecordDecoder(EventRules rules) : IDeserializer<Null>, IDeserializer<BehaviourEvent?>
{
    private byte[] _key = new byte[64], _value = new byte[512];
    private int _keyLength = -1, _valueLength = -1;

    /// <summary>Why the last record's value is not an event; null when it is.</summary>
    public DecodeError? Error { get; private set; }

    /// <summary>A copy of the last record's key (null for a record without one).</summary>
    public byte[]? Key => _keyLength < 0 ? null : _key.AsSpan(0, _keyLength).ToArray();

    /// <summary>A copy of the last record's value (null for a tombstone).</summary>
    public byte[]? Value => _valueLength < 0 ? null : _value.AsSpan(0, _valueLength).ToArray();

    Null IDeserializer<Null>.Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        _keyLength = Keep(data, isNull, ref _key);
        return null!;
    }

    BehaviourEvent? IDeserializer<BehaviourEvent?>.Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        _valueLength = Keep(data, isNull, ref _value);
        var decoded = isNull ? EventCodec.TryDecode(null, rules, out var ev, out var error) : EventCodec.TryDecode(data, rules, out ev, out error);
        Error = error;
        return decoded ? ev : null;
    }

    private static int Keep(ReadOnlySpan<byte> data, bool isNull, ref byte[] buffer)
    {
        if (isNull) return -1;
        if (buffer.Length < data.Length) buffer = new byte[Math.Max(data.Length, 2 * buffer.Length)];
        data.CopyTo(buffer);
        return data.Length;
    }
}
