using Microsoft.Extensions.Configuration;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;

namespace RecoActors.Node.Tests;

/// <summary>
/// A mock Kafka cluster with the three topics, a shared SQLite store in a temporary folder, and nodes started on it
/// in-process: one Akka cluster on loopback, which the first node forms and the others join.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const int Partitions = 12;
    private readonly List<NodeServer> _nodes = [];
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-node-tests-");

    public TestCluster()
    {
        Cluster = MockKafkaCluster.Start(3);
        Kafka = new KafkaOptions { BootstrapServers = Cluster.BootstrapServers };
        Cluster.CreateTopics(Kafka, Partitions);
    }

    public MockKafkaCluster Cluster { get; }

    public KafkaOptions Kafka { get; }

    /// <summary>Settings every node here shares: free ports on loopback, one store file, the first node as the seed.</summary>
    public Dictionary<string, string?> Settings(string nodeId)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Reco:Node:Id"] = nodeId,
            ["Reco:Http:Port"] = "0",
            ["Reco:Cluster:Hostname"] = "127.0.0.1",
            ["Reco:Cluster:Port"] = "0",
            ["Reco:Store:Path"] = Path.Combine(_folder.FullName, "reco.db"),
            ["Reco:Kafka:BootstrapServers"] = Cluster.BootstrapServers,
        };
        if (_nodes.Count > 0)
        {
            var seed = Akka.Cluster.Cluster.Get(_nodes[0].Node.System).SelfAddress;
            settings["Reco:Cluster:SeedNodes:0"] = $"{seed.Host}:{seed.Port}";
        }
        return settings;
    }

    public async Task<NodeServer> StartNodeAsync(string nodeId, IDictionary<string, string?>? extra = null)
    {
        var settings = Settings(nodeId);
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        var node = await NodeServer.StartAsync([], config => config.AddInMemoryCollection(settings));
        _nodes.Add(node);
        return node;
    }

    /// <summary>Stops every node (gracefully, as on SIGTERM); the next node started forms a new cluster on the same Kafka and store.</summary>
    public async Task StopAllAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        _nodes.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        Cluster.Dispose();
        _folder.Delete(recursive: true);
    }
}

/// <summary>Awaits a condition with a deadline: synchronisation for tests, never a fixed sleep.</summary>
internal static class Eventually
{
    public static async Task True(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {within.TotalSeconds:0.#} s: {what}");
            await Task.Delay(50);
        }
    }

    public static Task True(Func<bool> condition, TimeSpan within, string what) => True(() => Task.FromResult(condition()), within, what);

    /// <summary>On a timeout, adds what <paramref name="explain"/> says (read at the time of failure) to the message.</summary>
    public static async Task OrExplain(this Task waiting, Func<string> explain)
    {
        try
        {
            await waiting;
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{explain()}", ex);
        }
    }
}
