using Confluent.Kafka;

namespace RecoActors.Kafka;

/// <summary>How a node reaches Kafka. Bound from the <c>Reco:Kafka</c> configuration section.</summary>
public sealed class KafkaOptions
{
    /// <summary>Comma-separated host:port list of brokers.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>The topic behaviour events arrive on; its partitions are the shards.</summary>
    public string EventsTopic { get; set; } = "reco.events";

    /// <summary>Where records that are not valid events go, with the reason in headers.</summary>
    public string DeadLetterTopic { get; set; } = "reco.events.dlq";

    /// <summary>
    /// Where nodes exchange segment statistics: one partition (one order for every node), retained for as long as a
    /// new node should be able to rebuild the model from it.
    /// </summary>
    public string PartialsTopic { get; set; } = "reco.partials";

    /// <summary>The consumer group all nodes join; its assignment is the shard allocation.</summary>
    public string GroupId { get; set; } = "reco-nodes";

    /// <summary>
    /// <c>roundrobin</c> or <c>range</c> (eager). <c>cooperative-sticky</c> is refused: on librdkafka 2.0.2 it
    /// aborted the process when a consumer closed mid-rebalance, and a node must never abort.
    /// </summary>
    public string AssignmentStrategy { get; set; } = "roundrobin";

    /// <summary>How the producer picks a partition; must match the router (<see cref="Murmur2Partitioner"/>).</summary>
    public string Partitioner { get; set; } = "murmur2_random";

    /// <summary>Consumer group session timeout.</summary>
    public int SessionTimeoutMs { get; set; } = 10_000;

    /// <summary>Consumer heartbeat interval; a third of the session timeout or less.</summary>
    public int HeartbeatIntervalMs { get; set; } = 1_000;

    /// <summary>Longest gap between polls before the member is thrown out of the group.</summary>
    public int MaxPollIntervalMs { get; set; } = 60_000;

    /// <summary>Extra librdkafka properties (security.protocol, sasl.*, …) passed through as they are.</summary>
    public Dictionary<string, string> Properties { get; set; } = [];

    /// <summary>Every problem with these options, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section = "Reco:Kafka")
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            errors.Add($"{section}:BootstrapServers is required (host:port[,host:port…])");
        else if (BootstrapServers.Split(',').Any(s => !s.Trim().Contains(':')))
            errors.Add($"{section}:BootstrapServers '{BootstrapServers}' must be a comma-separated list of host:port");
        if (string.IsNullOrWhiteSpace(EventsTopic)) errors.Add($"{section}:EventsTopic is required");
        if (string.IsNullOrWhiteSpace(DeadLetterTopic)) errors.Add($"{section}:DeadLetterTopic is required");
        if (DeadLetterTopic == EventsTopic) errors.Add($"{section}:DeadLetterTopic must differ from EventsTopic");
        if (string.IsNullOrWhiteSpace(PartialsTopic)) errors.Add($"{section}:PartialsTopic is required");
        else if (PartialsTopic == EventsTopic || PartialsTopic == DeadLetterTopic) errors.Add($"{section}:PartialsTopic must differ from the other topics");
        if (string.IsNullOrWhiteSpace(GroupId)) errors.Add($"{section}:GroupId is required");
        if (AssignmentStrategy is not ("roundrobin" or "range"))
            errors.Add($"{section}:AssignmentStrategy '{AssignmentStrategy}' must be 'roundrobin' or 'range'");
        if (Partitioner is not ("murmur2_random" or "murmur2"))
            errors.Add($"{section}:Partitioner '{Partitioner}' must be 'murmur2_random' or 'murmur2' (the router uses murmur2)");
        if (SessionTimeoutMs < 1_000) errors.Add($"{section}:SessionTimeoutMs must be at least 1000");
        if (HeartbeatIntervalMs <= 0 || HeartbeatIntervalMs * 3 > SessionTimeoutMs)
            errors.Add($"{section}:HeartbeatIntervalMs must be positive and at most a third of SessionTimeoutMs");
        if (MaxPollIntervalMs < SessionTimeoutMs) errors.Add($"{section}:MaxPollIntervalMs must be at least SessionTimeoutMs");
        return errors;
    }

    /// <summary>Settings for the event consumer of a node.</summary>
    public ConsumerConfig ToConsumerConfig(string clientId)
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(Properties))
        {
            BootstrapServers = BootstrapServers,
            GroupId = GroupId,
            ClientId = clientId,
            // The store holds the checkpoint; Kafka commits follow it and serve monitoring only.
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = SessionTimeoutMs,
            HeartbeatIntervalMs = HeartbeatIntervalMs,
            MaxPollIntervalMs = MaxPollIntervalMs,
            EnablePartitionEof = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        config.Set("partition.assignment.strategy", AssignmentStrategy);
        return config;
    }

    /// <summary>Settings for producers of events and dead letters: idempotent, so retries neither lose nor duplicate.</summary>
    public ProducerConfig ToProducerConfig(string clientId)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(Properties))
        {
            BootstrapServers = BootstrapServers,
            ClientId = clientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        };
        config.Set("partitioner", Partitioner);
        return config;
    }
}
