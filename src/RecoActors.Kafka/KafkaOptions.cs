using Confluent.Kafka;
using RecoActors.Core;

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

    /// <summary>
    /// The group id the nodes report each partition's checkpoint under, for lag tools. Nobody joins it as a member:
    /// cluster sharding decides where a partition is read, and assigns it to that node's consumer by hand.
    /// </summary>
    public string GroupId { get; set; } = "reco-nodes";

    /// <summary>How the producer picks a partition; must match the router (<see cref="Murmur2Partitioner"/>).</summary>
    public string Partitioner { get; set; } = "murmur2_random";

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
        if (Partitioner is not ("murmur2_random" or "murmur2"))
            errors.Add($"{section}:Partitioner '{Partitioner}' must be 'murmur2_random' or 'murmur2' (users are sharded by murmur2)");
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
            EnablePartitionEof = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
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
