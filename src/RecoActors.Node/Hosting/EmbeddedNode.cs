using Microsoft.Extensions.Configuration;
using RecoActors.Kafka;

namespace RecoActors.Node.Hosting;

/// <summary>
/// One node on embedded defaults, for the demo and the benchmark: librdkafka's mock cluster with the three topics,
/// SQLite in a temporary folder, a one-member Akka cluster and the HTTP API on free ports. Disposing stops the node and removes the folder.
/// </summary>
internal sealed class EmbeddedNode : IAsyncDisposable
{
    private readonly DirectoryInfo _folder;

    private EmbeddedNode(MockKafkaCluster cluster, KafkaOptions kafka, DirectoryInfo folder, NodeServer server)
    {
        Cluster = cluster;
        Kafka = kafka;
        _folder = folder;
        Server = server;
    }

    /// <summary>The mock cluster.</summary>
    public MockKafkaCluster Cluster { get; }

    /// <summary>Options that reach it (for producers).</summary>
    public KafkaOptions Kafka { get; }

    /// <summary>The node.</summary>
    public NodeServer Server { get; }

    /// <summary>Where the store lives.</summary>
    public string Folder => _folder.FullName;

    /// <summary>Starts the cluster (<paramref name="partitions"/> in the events topic) and a node with <paramref name="settings"/> on top of the defaults.</summary>
    public static async Task<EmbeddedNode> StartAsync(string nodeId, int partitions, IDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var cluster = MockKafkaCluster.Start(3);
        var kafka = new KafkaOptions { BootstrapServers = cluster.BootstrapServers };
        cluster.CreateTopics(kafka, partitions);
        var folder = Directory.CreateTempSubdirectory($"reco-{nodeId}-");
        var all = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Reco:Node:Id"] = nodeId,
            ["Reco:Http:Port"] = "0",
            ["Reco:Store:Path"] = Path.Combine(folder.FullName, "reco.db"),
            ["Reco:Kafka:BootstrapServers"] = cluster.BootstrapServers,
            // A cluster of one, on loopback.
            ["Reco:Cluster:Hostname"] = "127.0.0.1",
            ["Reco:Cluster:Port"] = "0",
        };
        foreach (var (key, value) in settings) all[key] = value;
        try
        {
            var server = await NodeServer.StartAsync([], config => config.AddInMemoryCollection(all), cancellationToken);
            return new EmbeddedNode(cluster, kafka, folder, server);
        }
        catch
        {
            cluster.Dispose();
            folder.Delete(recursive: true);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Cluster.Dispose();
        _folder.Delete(recursive: true);
    }
}
