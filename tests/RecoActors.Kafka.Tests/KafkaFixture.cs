using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace RecoActors.Kafka.Tests;

/// <summary>A mock cluster with a 12-partition events topic, and helpers to start group members on it.</summary>
internal sealed class KafkaFixture : IAsyncDisposable
{
    public const int Partitions = 12;
    private readonly List<EventConsumer> _consumers = [];
    private readonly List<IDisposable> _owned = [];

    public MockKafkaCluster Cluster { get; }
    public KafkaOptions Options { get; }
    public ConcurrentDictionary<int, long> Checkpoints { get; } = new();

    public KafkaFixture()
    {
        Cluster = MockKafkaCluster.Start(3);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        Options = new KafkaOptions
        {
            BootstrapServers = Cluster.BootstrapServers,
            EventsTopic = $"events-{suffix}",
            DeadLetterTopic = $"dlq-{suffix}",
            GroupId = $"nodes-{suffix}",
            // Short timeouts so the mock's rebalances settle in seconds (STACK.md).
            SessionTimeoutMs = 6_000,
            HeartbeatIntervalMs = 500,
            MaxPollIntervalMs = 10_000,
        };
        Cluster.CreateTopic(Options.EventsTopic, Partitions);
        Cluster.CreateTopic(Options.DeadLetterTopic, 1);
    }

    public (EventConsumer Consumer, RecordingListener Listener) StartMember(string clientId, Func<TopicPartitionOffset, bool>? refuse = null)
    {
        var listener = new RecordingListener(Checkpoints, refuse);
        var deadLetters = DeadLetterWriter.Create(Options, NullLogger.Instance, clientId + "-dlq");
        _owned.Add(deadLetters);
        var consumer = new EventConsumer(Options, clientId, listener, deadLetters, NullLogger.Instance);
        _consumers.Add(consumer);
        consumer.Start();
        return (consumer, listener);
    }

    public EventProducer Producer(Action<ProducerConfig>? configure = null)
    {
        var producer = EventProducer.Create(Options, configure: configure);
        _owned.Add(producer);
        return producer;
    }

    /// <summary>Reads every record of the dead-letter topic up to its current end.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadDeadLetters(int expected, TimeSpan within)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = Options.BootstrapServers,
            GroupId = "dlq-reader-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        using var reader = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        reader.Assign(new TopicPartitionOffset(Options.DeadLetterTopic, 0, Offset.Beginning));
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + within;
        while (records.Count < expected && DateTime.UtcNow < deadline)
        {
            var r = reader.Consume(TimeSpan.FromMilliseconds(200));
            if (r is not null) records.Add(r);
        }
        reader.Close();
        return records;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _consumers)
        {
            await c.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            c.Dispose();
        }
        foreach (var d in _owned) d.Dispose();
        Cluster.Dispose();
    }
}
