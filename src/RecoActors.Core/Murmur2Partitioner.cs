using System.Buffers.Binary;
using System.Text;

namespace RecoActors.Core;

/// <summary>
/// The Java client's default partitioner (murmur2 of the key bytes, sign bit cleared, modulo the partition
/// count), which librdkafka's <c>murmur2_random</c> also uses for non-null keys.
/// </summary>
/// <remarks>The request router computes a user's shard with it, so it must agree with every producer.</remarks>
public static class Murmur2Partitioner
{
    /// <summary>The partition a UTF-8 key goes to.</summary>
    public static int Partition(ReadOnlySpan<byte> key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return (Hash(key) & 0x7fffffff) % partitionCount;
    }

    /// <summary>The partition a string key (encoded as UTF-8, as the producer does) goes to.</summary>
    public static int Partition(string key, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(key.Length, 256))];
        if (key.Length > 256) buffer = new byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var n = Encoding.UTF8.GetBytes(key, buffer);
        return Partition(buffer[..n], partitionCount);
    }

    /// <summary>Kafka's <c>Utils.murmur2</c>, bit for bit.</summary>
    public static int Hash(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var h = 0x9747b28cu ^ (uint)data.Length;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        var tail = data[(blocks * 4)..];
        switch (tail.Length)
        {
            case 3:
                h ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                h ^= tail[0];
                h *= m;
                break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
