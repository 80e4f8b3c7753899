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
    /// <c>roundrobin</c>, <c>range</c> (eager) or <c>cooperative-sticky</c> (incremental: on librdkafka 2.16 a
    /// consumer that closes mid-rebalance leaves the others covering every partition).
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

    /// <summary><c>plaintext</c>, <c>ssl</c>, <c>sasl_plaintext</c> or <c>sasl_ssl</c>.</summary>
    public string SecurityProtocol { get; set; } = "plaintext";

    /// <summary>The SASL mechanism when the protocol is <c>sasl_*</c>: <c>PLAIN</c>, <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c>.</summary>
    public string SaslMechanism { get; set; } = "SCRAM-SHA-512";

    /// <summary>The SASL user name (from a secret).</summary>
    public string? SaslUsername { get; set; }

    /// <summary>The SASL password (from a secret; never logged).</summary>
    public string? SaslPassword { get; set; }

    /// <summary>Extra librdkafka properties (ssl.ca.location, …) passed through as they are.</summary>
    public Dictionary<string, string> Properties { get; set; } = [];

    /// <summary>What every client of a node shares: the brokers, the security settings and <see cref="Properties"/>.</summary>
    public ClientConfig ToClientConfig()
    {
        var config = new ClientConfig(new Dictionary<string, string>(Properties)) { BootstrapServers = BootstrapServers };
        config.Set("security.protocol", SecurityProtocol);
        if (SecurityProtocol.StartsWith("sasl_", StringComparison.Ordinal))
        {
            config.Set("sasl.mechanism", SaslMechanism);
            config.Set("sasl.username", SaslUsername ?? "");
            config.Set("sasl.password", SaslPassword ?? "");
        }
        return config;
    }

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
        if (AssignmentStrategy is not ("roundrobin" or "range" or "cooperative-sticky"))
            errors.Add($"{section}:AssignmentStrategy '{AssignmentStrategy}' must be 'roundrobin', 'range' or 'cooperative-sticky'");
        if (Partitioner is not ("murmur2_random" or "murmur2"))
            errors.Add($"{section}:Partitioner '{Partitioner}' must be 'murmur2_random' or 'murmur2' (the router uses murmur2)");
        if (SessionTimeoutMs < 1_000) errors.Add($"{section}:SessionTimeoutMs must be at least 1000");
        if (HeartbeatIntervalMs <= 0 || HeartbeatIntervalMs * 3 > SessionTimeoutMs)
            errors.Add($"{section}:HeartbeatIntervalMs must be positive and at most a third of SessionTimeoutMs");
        if (MaxPollIntervalMs < SessionTimeoutMs) errors.Add($"{section}:MaxPollIntervalMs must be at least SessionTimeoutMs");
        if (SecurityProtocol is not ("plaintext" or "ssl" or "sasl_plaintext" or "sasl_ssl"))
            errors.Add($"{section}:SecurityProtocol '{SecurityProtocol}' must be 'plaintext', 'ssl', 'sasl_plaintext' or 'sasl_ssl'");
        else if (SecurityProtocol.StartsWith("sasl_", StringComparison.Ordinal))
        {
            if (SaslMechanism is not ("PLAIN" or "SCRAM-SHA-256" or "SCRAM-SHA-512"))
                errors.Add($"{section}:SaslMechanism '{SaslMechanism}' must be 'PLAIN', 'SCRAM-SHA-256' or 'SCRAM-SHA-512'");
            if (string.IsNullOrEmpty(SaslUsername)) errors.Add($"{section}:SaslUsername is required with {SecurityProtocol}");
            if (string.IsNullOrEmpty(SaslPassword)) errors.Add($"{section}:SaslPassword is required with {SecurityProtocol}");
        }
        foreach (var key in Properties.Keys.Where(k => k is "bootstrap.servers" or "security.protocol" or "sasl.mechanism" or "sasl.mechanisms" or "sasl.username" or "sasl.password"))
            errors.Add($"{section}:Properties:{key} has a setting of its own (BootstrapServers, SecurityProtocol, Sasl…); set that instead");
        return errors;
    }

    /// <summary>Settings for the event consumer of a node.</summary>
    public ConsumerConfig ToConsumerConfig(string clientId)
    {
        var config = new ConsumerConfig(ToClientConfig())
        {
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
        var config = new ProducerConfig(ToClientConfig())
        {
            ClientId = clientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        };
        config.Set("partitioner", Partitioner);
        return config;
    }
}
