using Confluent.Kafka;

namespace RecoActors.Kafka;

/// <summary>What the brokers say about a topic.</summary>
public static class TopicMetadata
{
    /// <summary>How many partitions <paramref name="topic"/> has: the shard count the router hashes users onto.</summary>
    /// <exception cref="InvalidOperationException">The topic does not exist or the brokers did not answer in time; the message says which.</exception>
    public static int PartitionCount(KafkaOptions options, string topic, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        KafkaNative.EnsureLoaded();
        using var admin = new AdminClientBuilder(new AdminClientConfig(options.ToClientConfig())).Build();
        Metadata metadata;
        try
        {
            metadata = admin.GetMetadata(topic, timeout);
        }
        catch (KafkaException ex)
        {
            throw new InvalidOperationException($"Kafka at {options.BootstrapServers} did not describe topic '{topic}': {ex.Error.Reason}", ex);
        }
        var described = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
        if (described is null || described.Error.IsError || described.Partitions.Count == 0)
            throw new InvalidOperationException(
                $"topic '{topic}' does not exist at {options.BootstrapServers}{(described?.Error.IsError == true ? $" ({described.Error.Reason})" : "")}; create it first");
        return described.Partitions.Count;
    }
}
