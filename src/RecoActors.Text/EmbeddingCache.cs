using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using RecoActors.Core;

namespace RecoActors.Text;

/// <summary>
/// A language model's embeddings kept in a file, keyed by the SHA-256 of the text, so each text is embedded once
/// per machine and a node starts, and ingests, without running the model on text it has seen.
/// </summary>
/// <remarks>
/// The file (<c>{folder}/{model}.embeddings</c>) holds a header (<c>RECOTXT1</c>, the model's name, its dimension)
/// and then records of 32 hash bytes and the raw vector, appended as texts are first met. A file that does not read
/// back whole is reported with where it breaks, never overwritten: deleting it costs only the time to re-embed.
/// </remarks>
public sealed class EmbeddingCache : ISentenceEncoder, IDisposable
{
    private static readonly byte[] Magic = "RECOTXT1"u8.ToArray();
    private readonly ISentenceEncoder _model;
    private readonly ConcurrentDictionary<Hash, float[]> _vectors = new();
    private readonly Lock _gate = new();
    private readonly FileStream _file;

    private EmbeddingCache(ISentenceEncoder model, FileStream file)
    {
        _model = model;
        _file = file;
    }

    /// <summary>The cache file.</summary>
    public string Path => _file.Name;

    /// <summary>Texts in the cache.</summary>
    public int Count => _vectors.Count;

    /// <summary>Texts the model had to embed since the cache was opened.</summary>
    public int Misses { get; private set; }

    /// <inheritdoc />
    public string Name => _model.Name;

    /// <inheritdoc />
    public int Dimension => _model.Dimension;

    /// <summary>The cache file of <paramref name="model"/> in <paramref name="folder"/>.</summary>
    public static string FileFor(string folder, ISentenceEncoder model) => System.IO.Path.Combine(folder, $"{model.Name}.embeddings");

    /// <summary>Opens (or creates) the cache of <paramref name="model"/> in <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a cache of this model, or breaks off part-way; the message says where.</exception>
    public static EmbeddingCache Open(string folder, ISentenceEncoder model)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.GetFullPath(FileFor(folder, model));
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var cache = new EmbeddingCache(model, file);
        try
        {
            if (file.Length == 0) cache.WriteHeader();
            else cache.Read();
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return cache;
    }

    private byte[] Header()
    {
        var name = Encoding.UTF8.GetBytes(_model.Name);
        var header = new byte[Magic.Length + 4 + name.Length + 4];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(Magic.Length), name.Length);
        name.CopyTo(header, Magic.Length + 4);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(Magic.Length + 4 + name.Length), _model.Dimension);
        return header;
    }

    private void WriteHeader()
    {
        _file.Write(Header());
        _file.Flush(flushToDisk: true);
    }

    private void Read()
    {
        var expected = Header();
        var header = new byte[expected.Length];
        if (_file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header.AsSpan().SequenceEqual(expected))
            throw new InvalidDataException($"{Path} is not a cache of {_model.Name} ({_model.Dimension} dimensions): its header differs; delete it to embed again");
        var record = new byte[Hash.Size + 4 * _model.Dimension];
        for (long at = header.Length; ; at += record.Length)
        {
            var read = _file.ReadAtLeast(record, record.Length, throwOnEndOfStream: false);
            if (read == 0) return;
            if (read < record.Length)
                throw new InvalidDataException($"{Path} breaks off at byte {at:N0} ({read} of a record's {record.Length} bytes; it was cut while being written); delete it to embed again");
            var vector = MemoryMarshal.Cast<byte, float>(record.AsSpan(Hash.Size)).ToArray();
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the cache is little-endian");
            _vectors[Hash.Read(record)] = vector;
        }
    }

    /// <inheritdoc />
    /// <remarks>Texts not in the cache are embedded by the model and appended; the rest are read from memory.</remarks>
    public float[][] Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        var keys = new Hash[texts.Count];
        // Each text the cache lacks, once, however often it repeats in the call.
        var missing = new Dictionary<Hash, int>();
        for (var t = 0; t < texts.Count; t++)
        {
            keys[t] = Hash.Of(texts[t]);
            if (_vectors.TryGetValue(keys[t], out var v)) result[t] = v;
            else missing.TryAdd(keys[t], t);
        }
        if (missing.Count == 0) return result;
        var embedded = _model.Encode([.. missing.Values.Select(t => texts[t])]);
        lock (_gate)
        {
            var record = new byte[Hash.Size + 4 * _model.Dimension];
            var m = 0;
            foreach (var key in missing.Keys)
            {
                var vector = embedded[m++];
                if (!_vectors.TryAdd(key, vector)) continue;
                key.Write(record);
                MemoryMarshal.Cast<float, byte>(vector.AsSpan()).CopyTo(record.AsSpan(Hash.Size));
                _file.Write(record);
                Misses++;
            }
            _file.Flush();
        }
        for (var t = 0; t < texts.Count; t++) result[t] ??= _vectors[keys[t]];
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate) _file.Dispose();
    }

    private readonly record struct Hash(ulong A, ulong B, ulong C, ulong D)
    {
        public const int Size = 32;

        public static Hash Of(string text)
        {
            Span<byte> h = stackalloc byte[Size];
            SHA256.HashData(Encoding.UTF8.GetBytes(text), h);
            return Read(h);
        }

        public static Hash Read(ReadOnlySpan<byte> b) => new(BinaryPrimitives.ReadUInt64LittleEndian(b), BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[16..]), BinaryPrimitives.ReadUInt64LittleEndian(b[24..]));

        public void Write(Span<byte> b)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(b, A);
            BinaryPrimitives.WriteUInt64LittleEndian(b[8..], B);
            BinaryPrimitives.WriteUInt64LittleEndian(b[16..], C);
            BinaryPrimitives.WriteUInt64LittleEndian(b[24..], D);
        }
    }
}
