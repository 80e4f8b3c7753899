using Confluent.Kafka;
using RecoActors.Core;

namespace RecoActors.Kafka;

/// <summary>Produces behaviour events keyed by user id, so each user's events stay in one partition, in order.</summary>
public sealed class EventProducer : IDisposable
{
    private readonly IProducer<string?, byte[]?> _producer;

    /// <summary>The topic events are written to.</summary>
    public string Topic { get; }

    private EventProducer(IProducer<string?, byte[]?> producer, string topic)
    {
        _producer = producer;
        Topic = topic;
    }

    /// <summary>Builds a producer for <see cref="KafkaOptions.EventsTopic"/>.</summary>
    public static EventProducer Create(KafkaOptions options, string clientId = "reco-producer", Action<ProducerConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        KafkaNative.EnsureLoaded();
        var config = options.ToProducerConfig(clientId);
        configure?.Invoke(config);
        var producer = new ProducerBuilder<string?, byte[]?>(config)
            .SetKeySerializer(Serializers.Utf8)
            .SetValueSerializer(Serializers.ByteArray)
            .Build();
        return new EventProducer(producer, options.EventsTopic);
    }

    /// <summary>Queues an event; the record's Kafka timestamp is the event time.</summary>
    public void Produce(BehaviourEvent ev, Action<DeliveryReport<string?, byte[]?>>? onDelivered = null)
    {
        ArgumentNullException.ThrowIfNull(ev);
        ProduceQueued(ToMessage(ev), onDelivered);
    }

    /// <summary>Queues a record as it is, unchecked: for passing external JSON through and for tests of bad input.</summary>
    public void ProduceRaw(string? key, byte[]? value, Action<DeliveryReport<string?, byte[]?>>? onDelivered = null) =>
        ProduceQueued(new Message<string?, byte[]?> { Key = key, Value = value }, onDelivered);

    /// <summary>Produces one event and waits for the broker's acknowledgement.</summary>
    public Task<DeliveryResult<string?, byte[]?>> ProduceAsync(BehaviourEvent ev, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return _producer.ProduceAsync(Topic, ToMessage(ev), cancellationToken);
    }

    /// <summary>Key = user id (the shard), value = JSON, Kafka timestamp = event time.</summary>
    private static Message<string?, byte[]?> ToMessage(BehaviourEvent ev) => new()
    {
        Key = ev.UserId,
        Value = EventCodec.Encode(ev),
        Timestamp = new Timestamp(ev.Timestamp, TimestampType.CreateTime),
    };

    /// <summary>Waits until every queued record is acknowledged; throws if some are still queued at the timeout.</summary>
    public void Flush(TimeSpan timeout)
    {
        var left = _producer.Flush(timeout);
        if (left > 0) throw new TimeoutException($"{left} records were still unacknowledged after {timeout.TotalSeconds:0.#} s");
    }

    private void ProduceQueued(Message<string?, byte[]?> message, Action<DeliveryReport<string?, byte[]?>>? onDelivered)
    {
        while (true)
        {
            try
            {
                _producer.Produce(Topic, message, onDelivered);
                return;
            }
            catch (ProduceException<string?, byte[]?> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Back-pressure: let the queue drain instead of failing the caller.
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _producer.Dispose();
}
