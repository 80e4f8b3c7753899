using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RecoActors.Kafka;

/// <summary>
/// Carries every node's segment statistics to every node in one order: each node publishes its encoded partials to
/// the single-partition <see cref="KafkaOptions.PartialsTopic"/>, and every node reads that topic from the start and
/// hands each partial on in offset order. Same partials, same order, same folds: every node holds the same model,
/// and a node that joins later rebuilds it by replaying the topic.
/// </summary>
/// <remarks>
/// A partial can outgrow a Kafka record, so it travels in chunks (headers: sender, sequence, chunk, chunks) and is
/// handed on when its last chunk arrives, with the <see cref="ExchangePosition"/> a model that folded it stands at: a
/// node restarts from its model's snapshot by reading on from there, not from the topic's beginning.
/// </remarks>
public sealed class PartialExchange : IDisposable
{
    private const int ChunkBytes = 512 * 1024;
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private readonly KafkaOptions _options;
    private readonly ILogger _logger;
    private readonly string _sender;
    private readonly IProducer<string?, byte[]?> _producer;
    private readonly Dictionary<string, (long Sequence, List<byte[]> Chunks, long First)> _assembling = [];
    private long _sequence;
    private long _received;
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private Thread? _thread;

    /// <summary>An exchange for node <paramref name="nodeId"/>; call <see cref="Start"/> to receive.</summary>
    public PartialExchange(KafkaOptions options, string nodeId, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        KafkaNative.EnsureLoaded();
        _options = options;
        _logger = logger;
        // A restarted node is a new sender: its sequence starts again.
        _sender = $"{nodeId}/{Guid.NewGuid():N}";
        var config = options.ToProducerConfig($"{nodeId}-partials");
        // Item ids and pair counts compress well; smaller partials stay within the topic's retention.
        config.CompressionType = CompressionType.Lz4;
        _producer = new ProducerBuilder<string?, byte[]?>(config)
            .SetKeySerializer(Serializers.Utf8).SetValueSerializer(Serializers.ByteArray).Build();
    }

    /// <summary>Partials received whole (from every node, this one included).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>
    /// Completes once every partial the topic held when reading started has been handed on (canceled if the exchange
    /// stops first): from then on, a model that folded what it was handed is as far as the cluster's was then.
    /// </summary>
    public Task CaughtUp => _caughtUp.Task;

    /// <summary>Publishes one encoded partial.</summary>
    public void Publish(byte[] partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        var sequence = ++_sequence;
        var count = Math.Max(1, (partial.Length + ChunkBytes - 1) / ChunkBytes);
        for (var i = 0; i < count; i++)
        {
            // One chunk is the partial itself: a copy would be one more large-object-heap array per fold (the producer copies it anyway).
            var chunk = count == 1 ? partial : partial.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, partial.Length - i * ChunkBytes)).ToArray();
            var headers = new Headers
            {
                { "reco.sender", Encoding.UTF8.GetBytes(_sender) },
                { "reco.sequence", BitConverter.GetBytes(sequence) },
                { "reco.chunk", BitConverter.GetBytes(i) },
                { "reco.chunks", BitConverter.GetBytes(count) },
            };
            _producer.Produce(_options.PartialsTopic, new Message<string?, byte[]?> { Key = _sender, Value = chunk, Headers = headers });
        }
    }

    /// <summary>
    /// Starts reading the topic after <paramref name="from"/> (<see cref="ExchangePosition.Beginning"/>: all of it);
    /// <paramref name="onPartial"/> gets each whole partial after it, in order, on the reader's thread, with the
    /// position a model stands at once it has folded that partial.
    /// </summary>
    public void Start(ExchangePosition from, Action<byte[], ExchangePosition> onPartial)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(onPartial);
        if (_thread is not null) throw new InvalidOperationException("the exchange was already started");
        _thread = new Thread(() => Read(from, onPartial)) { IsBackground = true, Name = "partials" };
        _thread.Start();
    }

    private void Read(ExchangePosition from, Action<byte[], ExchangePosition> onPartial)
    {
        var config = new ConsumerConfig(_options.ToClientConfig())
        {
            GroupId = $"{_sender}-partials",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        // Several chunks per fetch, and no long waits between fetches: a reader that falls behind the retention loses partials.
        config.Set("max.partition.fetch.bytes", (4 * ChunkBytes).ToString(System.Globalization.CultureInfo.InvariantCulture));
        config.FetchWaitMaxMs = 20;
        using var consumer = new ConsumerBuilder<string?, byte[]?>(config)
            .SetLogHandler((_, m) => _logger.LogWarning("librdkafka {Facility} on {Topic}: {Message}", m.Facility, _options.PartialsTopic, m.Message))
            .Build();
        var partition = new TopicPartition(_options.PartialsTopic, 0);
        consumer.Assign(new TopicPartitionOffset(partition, from.Resume));
        if (EndOffset(consumer, partition) is not { } end)
        {
            _caughtUp.TrySetCanceled();
            consumer.Close();
            return;
        }
        if (end <= from.Resume) _caughtUp.TrySetResult();
        var first = true;
        while (!_stopping)
        {
            ConsumeResult<string?, byte[]?>? record;
            try
            {
                record = consumer.Consume(PollTimeout);
            }
            catch (ConsumeException ex)
            {
                _logger.LogWarning("Reading {Topic} failed: {Reason}", _options.PartialsTopic, ex.Error.Reason);
                continue;
            }
            if (record?.Message?.Value is { } value)
            {
                if (first && record.Offset.Value > from.Resume)
                    // Every node that resumes here misses the same partials, so the models stay equal; but not what they would be.
                    _logger.LogError("The partials topic {Topic} no longer holds offsets {From} to {To} (retention): the model misses what they held. " +
                        "Keep the topic's retention longer than the model's snapshot interval", _options.PartialsTopic, from.Resume, record.Offset.Value - 1);
                first = false;
                HandOn(record.Message.Headers, value, record.Offset.Value, from, onPartial);
            }
            // The position, not the last record's offset: the reader may pass the end without seeing its last offset (a record it skips).
            if (!_caughtUp.Task.IsCompleted && consumer.Position(partition).Value >= end) _caughtUp.TrySetResult();
        }
        _caughtUp.TrySetCanceled();
        consumer.Close();
    }

    /// <summary>Hands the partial that <paramref name="chunk"/> completes (if it does) on to <paramref name="onPartial"/>, unless the model already holds it.</summary>
    private void HandOn(Headers headers, byte[] chunk, long offset, ExchangePosition from, Action<byte[], ExchangePosition> onPartial)
    {
        if (Assemble(headers, chunk, offset) is not { } whole || offset <= from.Completed) return;
        try
        {
            onPartial(whole, new ExchangePosition(offset, _assembling.Count == 0 ? offset + 1 : _assembling.Values.Min(a => a.First)));
            Interlocked.Increment(ref _received);
        }
        catch (Exception ex)
        {
            // A partial that cannot be read is skipped by every node alike, so the models stay equal.
            _logger.LogError(ex, "Skipped the model partial at {Offset} of {Topic}", offset, _options.PartialsTopic);
        }
    }

    /// <summary>The topic's end when reading starts (what <see cref="CaughtUp"/> waits for), asked until the broker answers; null if the exchange stops first.</summary>
    private long? EndOffset(IConsumer<string?, byte[]?> consumer, TopicPartition partition)
    {
        var warned = false;
        while (!_stopping)
        {
            try
            {
                return consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(5)).High.Value;
            }
            catch (KafkaException ex)
            {
                if (!warned) _logger.LogWarning("The end of {Topic} is not known yet ({Reason}); asking again every second", _options.PartialsTopic, ex.Error.Reason);
                warned = true;
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
        }
        return null;
    }

    private byte[]? Assemble(Headers headers, byte[] chunk, long offset)
    {
        if (!headers.TryGetLastBytes("reco.sender", out var senderBytes) || !headers.TryGetLastBytes("reco.sequence", out var seq)
            || !headers.TryGetLastBytes("reco.chunk", out var index) || !headers.TryGetLastBytes("reco.chunks", out var total))
            return null;
        var sender = Encoding.UTF8.GetString(senderBytes);
        var (sequence, i, count) = (BitConverter.ToInt64(seq), BitConverter.ToInt32(index), BitConverter.ToInt32(total));
        if (count == 1) return chunk;
        if (!_assembling.TryGetValue(sender, out var part) || part.Sequence != sequence)
        {
            // A sender's chunks arrive in order; a new sequence means the previous one will not complete.
            if (i != 0) return null;
            part = (sequence, [], offset);
        }
        part.Chunks.Add(chunk);
        _assembling[sender] = part;
        if (part.Chunks.Count < count) return null;
        _assembling.Remove(sender);
        var whole = new byte[part.Chunks.Sum(c => c.Length)];
        var at = 0;
        foreach (var c in part.Chunks)
        {
            c.CopyTo(whole, at);
            at += c.Length;
        }
        return whole;
    }

    /// <summary>Flushes what was published and stops reading.</summary>
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _stopping = true;
        _thread?.Join();
        _producer.Dispose();
    }
}
