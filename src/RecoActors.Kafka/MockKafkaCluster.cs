using System.Runtime.InteropServices;

namespace RecoActors.Kafka;

/// <summary>
/// librdkafka's built-in mock Kafka cluster: in-process brokers on 127.0.0.1 that speak the real protocol,
/// for tests, the demo and <c>reco dev-kafka</c>.
/// </summary>
/// <remarks>
/// Built through the C API because the mock rejects CreateTopics from the admin client; this is also the only
/// way to choose a topic's partition count (auto-created topics get 4).
/// </remarks>
public sealed partial class MockKafkaCluster : IDisposable
{
    private const string Lib = "librdkafka";
    private IntPtr _handle;
    private IntPtr _cluster;

    /// <summary>The bootstrap servers to give producers and consumers, e.g. <c>127.0.0.1:40123,127.0.0.1:40125</c>.</summary>
    public string BootstrapServers { get; }

    private MockKafkaCluster(IntPtr handle, IntPtr cluster, string bootstrap)
    {
        _handle = handle;
        _cluster = cluster;
        BootstrapServers = bootstrap;
    }

    /// <summary>Starts a mock cluster with the given number of brokers.</summary>
    public static MockKafkaCluster Start(int brokers = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(brokers);
        KafkaNative.EnsureLoaded();
        var error = new byte[512];
        var conf = rd_kafka_conf_new();
        // The host handle never connects; without this it warns that it has no bootstrap.servers.
        rd_kafka_conf_set(conf, "log_level", "3", error, (UIntPtr)error.Length);
        var handle = rd_kafka_new(0 /* RD_KAFKA_PRODUCER */, conf, error, (UIntPtr)error.Length);
        if (handle == IntPtr.Zero)
            throw new InvalidOperationException($"rd_kafka_new failed: {System.Text.Encoding.UTF8.GetString(error).TrimEnd('\0')}");
        var cluster = rd_kafka_mock_cluster_new(handle, brokers);
        if (cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }
        var bootstrap = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(cluster))!;
        return new MockKafkaCluster(handle, cluster, bootstrap);
    }

    /// <summary>Creates a topic with a chosen number of partitions (replication factor 1).</summary>
    public void CreateTopic(string topic, int partitions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
        var code = rd_kafka_mock_topic_create(_cluster, topic, partitions, 1);
        if (code != 0) throw new InvalidOperationException($"creating mock topic '{topic}' failed with librdkafka error {code}");
    }

    /// <summary>
    /// Creates the topics a node uses: the events topic with <paramref name="partitions"/> (the shard count), and the
    /// dead-letter and partials topics with one each (every node reads the partials in one order).
    /// </summary>
    public void CreateTopics(KafkaOptions options, int partitions)
    {
        ArgumentNullException.ThrowIfNull(options);
        CreateTopic(options.EventsTopic, partitions);
        CreateTopic(options.DeadLetterTopic, 1);
        CreateTopic(options.PartialsTopic, 1);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_cluster != IntPtr.Zero) rd_kafka_mock_cluster_destroy(_cluster);
        if (_handle != IntPtr.Zero) rd_kafka_destroy(_handle);
        _cluster = _handle = IntPtr.Zero;
    }

    [LibraryImport(Lib)]
    private static partial IntPtr rd_kafka_new(int type, IntPtr conf, [Out] byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(Lib)]
    private static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, [Out] byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(Lib)]
    private static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(Lib)]
    private static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);

    [LibraryImport(Lib)]
    private static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [LibraryImport(Lib)]
    private static partial void rd_kafka_destroy(IntPtr rk);
}
