using System.Net.Http.Json;
using RecoActors.Node.Http;
using RecoActors.Testing;

namespace RecoActors.Node.Tests;

/// <summary>A node run as its own <c>reco serve</c> process, and the client that talks to its API.</summary>
internal sealed record ProcessNode(string Id, int Port, RecoProcess Process, HttpClient Http)
{
    public override string ToString() => Id;
}

/// <summary>
/// The tool as users run it: <c>reco dev-kafka</c> in a process of its own, a store every node shares (PostgreSQL under
/// <c>./reco test</c>, else one SQLite file), and <c>reco serve</c> processes configured by <c>RECO__…</c> variables,
/// one Akka cluster on loopback whose seeds are the first two nodes started, or which Cluster Bootstrap forms over the
/// management endpoints of the first three (each node keeps its ports across restarts).
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>
    /// The test collection of every test that runs a process cluster: one at a time, since three clusters of three
    /// nodes at once overload two cores until heartbeats fail (xunit runs other collections beside it).
    /// </summary>
    public const string Collection = "process clusters";

    public const int Partitions = 12;

    private readonly RecoProcess _kafka;
    private readonly PostgresTestDatabase? _database;
    private readonly DirectoryInfo _folder;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly List<ProcessNode> _started = [];
    private readonly int[] _seedPorts = [RecoProcess.FreePort(), RecoProcess.FreePort()];
    private readonly Dictionary<string, int> _remoting = [];
    private readonly int[]? _managementPorts;
    private readonly Dictionary<string, int> _management = [];

    private ProcessCluster(RecoProcess kafka, string bootstrap, PostgresTestDatabase? database, DirectoryInfo folder, IReadOnlyDictionary<string, string> settings,
        bool clusterBootstrap)
    {
        _kafka = kafka;
        Bootstrap = bootstrap;
        _database = database;
        _folder = folder;
        _settings = settings;
        if (clusterBootstrap) _managementPorts = [RecoProcess.FreePort(), RecoProcess.FreePort(), RecoProcess.FreePort()];
    }

    public string Bootstrap { get; }

    /// <summary>
    /// Starts the mock Kafka (12 partitions) and the store; <paramref name="settings"/> go to every node, under this
    /// cluster's addresses. With <paramref name="clusterBootstrap"/>, nodes find each other as in Kubernetes, by
    /// Cluster Bootstrap, over a list of the first three nodes' management endpoints instead of the pods the API lists.
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(string name, IReadOnlyDictionary<string, string>? settings = null, bool clusterBootstrap = false)
    {
        var kafka = RecoProcess.Start(null, "dev-kafka", "--partitions", Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var bootstrap = await kafka.WaitForLineAsync("bootstrap.servers=", TimeSpan.FromSeconds(30));
        var database = Environment.GetEnvironmentVariable("RECO_TEST_POSTGRES") is null ? null : await PostgresTestDatabase.CreateAsync($"reco_{name}_");
        return new ProcessCluster(kafka, bootstrap, database, Directory.CreateTempSubdirectory($"reco-{name}-"), settings ?? new Dictionary<string, string>(),
            clusterBootstrap);
    }

    /// <summary>The store's settings: the test database, or a SQLite file every node opens.</summary>
    public IReadOnlyDictionary<string, string> Store => _database is { } db
        ? new Dictionary<string, string> { ["RECO__STORE__KIND"] = "postgres", ["RECO__STORE__CONNECTIONSTRING"] = db.ConnectionString }
        : new Dictionary<string, string> { ["RECO__STORE__KIND"] = "sqlite", ["RECO__STORE__PATH"] = Path.Combine(_folder.FullName, "reco.db") };

    /// <summary>
    /// Where a node started here reaches the others: loopback, its remoting port, and the two seeds or the three
    /// management endpoints. Node <paramref name="id"/> keeps its ports when restarted, as a pod keeps its name.
    /// </summary>
    public Dictionary<string, string> ClusterEnvironment(string id)
    {
        if (!_remoting.TryGetValue(id, out var remoting))
            _remoting[id] = remoting = _remoting.Count < _seedPorts.Length ? _seedPorts[_remoting.Count] : RecoProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["RECO__CLUSTER__HOSTNAME"] = "127.0.0.1",
            ["RECO__CLUSTER__PUBLICHOSTNAME"] = "127.0.0.1",
            ["RECO__CLUSTER__PORT"] = $"{remoting}",
        };
        if (_managementPorts is null)
        {
            environment["RECO__CLUSTER__SEEDNODES__0"] = $"127.0.0.1:{_seedPorts[0]}";
            environment["RECO__CLUSTER__SEEDNODES__1"] = $"127.0.0.1:{_seedPorts[1]}";
            return environment;
        }
        if (!_management.TryGetValue(id, out var management))
            _management[id] = management = _management.Count < _managementPorts.Length ? _managementPorts[_management.Count] : RecoProcess.FreePort();
        environment["RECO__DISCOVERY__METHOD"] = "config";
        environment["RECO__DISCOVERY__MANAGEMENTPORT"] = $"{management}";
        environment["RECO__DISCOVERY__MANAGEMENTHOSTNAME"] = "127.0.0.1";
        for (var i = 0; i < _managementPorts.Length; i++) environment[$"RECO__DISCOVERY__ENDPOINTS__{i}"] = $"127.0.0.1:{_managementPorts[i]}";
        return environment;
    }

    /// <summary>Where node <paramref name="node"/>'s remoting listens, as <c>host:port</c> (for a client's seed nodes).</summary>
    public string Remoting(ProcessNode node) => $"127.0.0.1:{_remoting[node.Id]}";

    /// <summary>Starts <c>reco serve</c> as node <paramref name="id"/> on <paramref name="port"/> (a free one when null).</summary>
    public ProcessNode StartNode(string id, int? port = null)
    {
        var http = port ?? RecoProcess.FreePort();
        var environment = new Dictionary<string, string>(_settings)
        {
            ["RECO__NODE__ID"] = id,
            ["RECO__HTTP__PORT"] = $"{http}",
            ["RECO__KAFKA__BOOTSTRAPSERVERS"] = Bootstrap,
            // The mock broker keeps 5 MB of a partition: a node restarted in turn must find a model snapshot newer than that.
            ["RECO__SHARDS__MODELSNAPSHOTINTERVAL"] = "00:00:02",
        };
        foreach (var (key, value) in ClusterEnvironment(id)) environment[key] = value;
        foreach (var (key, value) in Store) environment[key] = value;
        var node = new ProcessNode(id, http, RecoProcess.Start(environment, "serve"), new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") });
        _started.Add(node);
        return node;
    }

    public static async Task<NodeStatus?> StatusAsync(ProcessNode node)
    {
        try
        {
            return await node.Http.GetFromJsonAsync("/v1/node", ApiJson.Default.NodeStatus);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public static async Task<NodeStatus?[]> StatusAsync(IEnumerable<ProcessNode> nodes) => await Task.WhenAll(nodes.Select(StatusAsync));

    /// <summary>Waits until <paramref name="nodes"/> are ready and run every partition between them.</summary>
    public static Task SteadyAsync(IReadOnlyList<ProcessNode> nodes, TimeSpan within, bool caughtUp = false) =>
        Eventually.True(async () =>
        {
            var status = await StatusAsync(nodes);
            return status.All(s => s is { Ready: true, Held.Count: > 0 }) && status.Sum(s => s!.Held.Count) == Partitions
                && (!caughtUp || status.All(s => s!.Lag.Count == s.Held.Count && s.Lag.All(l => l.Lag == 0)));
        }, within, $"{string.Join(", ", nodes)} ready, running all {Partitions} partitions{(caughtUp ? " with zero lag" : "")}")
            .OrExplain(() => Diagnostics(nodes));

    /// <summary>
    /// Asks for every user's profile, alternating between <paramref name="nodes"/>, until each shows exactly the expected
    /// number of events applied: none lost, none applied twice.
    /// </summary>
    public static async Task EveryUserAppliedOnceAsync(IReadOnlyDictionary<string, int> expected, IReadOnlyList<ProcessNode> nodes, TimeSpan within)
    {
        var wrong = new List<string>();
        var errors = new List<string>();
        await Eventually.True(async () =>
        {
            wrong.Clear();
            var asked = 0;
            foreach (var (user, count) in expected)
            {
                var node = nodes[asked++ % nodes.Count];
                using var response = await node.Http.GetAsync($"/v1/users/{user}/profile");
                if (!response.IsSuccessStatusCode)
                {
                    errors.Add($"{user} via {node}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    wrong.Add($"{user}: {(int)response.StatusCode}");
                    continue;
                }
                var profile = await response.Content.ReadFromJsonAsync(ApiJson.Default.ProfileResponse);
                if (profile!.EventsApplied != count) wrong.Add($"{user}: {profile.EventsApplied} of {count}");
            }
            return wrong.Count == 0;
        }, within, "every user's events applied exactly once")
            .OrExplain(() => string.Join("; ", wrong.Take(10)) + "\n" + string.Join("\n", errors.TakeLast(5)) + Diagnostics(nodes));
        // The last sweep answered every user with 200 and the right count; earlier ones may have met a hand-off.
    }

    public static string Diagnostics(IEnumerable<ProcessNode> nodes) =>
        string.Concat(nodes.Select(n => $"\n--- {n} ({n.Http.BaseAddress}) ---\n{string.Join('\n', n.Process.Output.Split('\n').TakeLast(15))}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _started)
        {
            node.Http.Dispose();
            node.Process.Dispose();
        }
        _kafka.Dispose();
        if (_database is not null) await _database.DisposeAsync();
        _folder.Delete(recursive: true);
    }
}
