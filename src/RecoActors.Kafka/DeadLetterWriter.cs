using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RecoActors.Kafka;

/// <summary>
/// Writes records that are not valid events to the dead-letter topic: the original key, value, timestamp and
/// headers, plus the reason and the source topic, partition and offset as <c>reco.dlq.*</c> headers.
/// </summary>
public sealed class DeadLetterWriter : IDisposable
{
    /// <summary>Header holding the reason's stable code.</summary>
    public const string CodeHeader = "reco.dlq.code";
    /// <summary>Header holding the readable reason.</summary>
    public const string ReasonHeader = "reco.dlq.reason";
    /// <summary>Header holding the source topic.</summary>
    public const string TopicHeader = "reco.dlq.topic";
    /// <summary>Header holding the source partition.</summary>
    public const string PartitionHeader = "reco.dlq.partition";
    /// <summary>Header holding the source offset.</summary>
    public const string OffsetHeader = "reco.dlq.offset";

    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly ILogger _logger;
    private Exception? _failure;
    private long _sent;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _byCode = new(StringComparer.Ordinal);

    /// <summary>The dead-letter topic.</summary>
    public string Topic { get; }

    /// <summary>How many dead letters were acknowledged by the broker.</summary>
    public long Delivered => Interlocked.Read(ref _sent);

    /// <summary>Dead letters sent by this writer, by reason code (queued, whether or not acknowledged yet).</summary>
    public IReadOnlyDictionary<string, long> ByCode => _byCode;

    private DeadLetterWriter(IProducer<byte[]?, byte[]?> producer, string topic, ILogger logger)
    {
        _producer = producer;
        Topic = topic;
        _logger = logger;
    }

    /// <summary>Builds a writer for <see cref="KafkaOptions.DeadLetterTopic"/>.</summary>
    public static DeadLetterWriter Create(KafkaOptions options, ILogger logger, string clientId = "reco-dlq")
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        KafkaNative.EnsureLoaded();
        var config = options.ToProducerConfig(clientId);
        // A dead letter can be as large as the largest record the consumer accepts from the broker.
        config.MessageMaxBytes = Math.Max(config.MessageMaxBytes ?? 1_000_000, 2 * 1024 * 1024);
        var producer = new ProducerBuilder<byte[]?, byte[]?>(config).Build();
        return new DeadLetterWriter(producer, options.DeadLetterTopic, logger);
    }

    /// <summary>Queues a dead letter for the record at <paramref name="source"/> with the given key and value (its original bytes, or a re-encoding).</summary>
    public void Send(TopicPartitionOffset source, byte[]? key, byte[]? value, DecodeError reason, Headers? original = null, Timestamp? timestamp = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reason);
        var headers = new Headers();
        foreach (var h in original ?? []) headers.Add(h.Key, h.GetValueBytes());
        headers.Add(CodeHeader, Encoding.UTF8.GetBytes(reason.Code));
        _byCode.AddOrUpdate(reason.Code, 1, (_, n) => n + 1);
        headers.Add(ReasonHeader, Encoding.UTF8.GetBytes(reason.Message));
        headers.Add(TopicHeader, Encoding.UTF8.GetBytes(source.Topic));
        headers.Add(PartitionHeader, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(OffsetHeader, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        var message = new Message<byte[]?, byte[]?>
        {
            Key = key,
            Value = value,
            Timestamp = timestamp ?? Timestamp.Default,
            Headers = headers,
        };
        while (true)
        {
            try
            {
                _producer.Produce(Topic, message, OnDelivered);
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <summary>
    /// Waits until every queued dead letter is acknowledged. Call before a checkpoint moves past the records:
    /// throws if one could not be written, so the checkpoint does not advance and the records are read again.
    /// </summary>
    public void Flush(TimeSpan timeout)
    {
        var left = _producer.Flush(timeout);
        var failure = Interlocked.Exchange(ref _failure, null);
        if (failure is not null) throw new InvalidOperationException($"a dead letter could not be written to '{Topic}'", failure);
        if (left > 0) throw new TimeoutException($"{left} dead letters were still unacknowledged after {timeout.TotalSeconds:0.#} s");
    }

    private void OnDelivered(DeliveryReport<byte[]?, byte[]?> report)
    {
        if (report.Error.IsError)
        {
            _logger.LogError("Dead letter for {Topic} lost in delivery: {Error}", Topic, report.Error.Reason);
            Interlocked.CompareExchange(ref _failure, new KafkaException(report.Error), null);
            return;
        }
        Interlocked.Increment(ref _sent);
    }

    /// <inheritdoc />
    public void Dispose() => _producer.Dispose();
}
