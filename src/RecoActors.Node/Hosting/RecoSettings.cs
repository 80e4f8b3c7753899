using Microsoft.Extensions.Configuration;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Protocol;
using RecoActors.Runtime;
using RecoActors.Text;

namespace RecoActors.Node.Hosting;

/// <summary>
/// Everything a node is configured with, bound from the <c>Reco</c> section: appsettings.json, then environment
/// variables (<c>RECO__KAFKA__BOOTSTRAPSERVERS</c>), then the command line (<c>--Reco:Kafka:BootstrapServers=…</c>).
/// </summary>
public sealed class RecoSettings
{
    /// <summary>The configuration section everything lives under.</summary>
    public const string Section = "Reco";

    /// <summary>Who this node is.</summary>
    public NodeSettings Node { get; set; } = new();

    /// <summary>The HTTP API.</summary>
    public HttpSettings Http { get; set; } = new();

    /// <summary>Where the partitions' state lives.</summary>
    public StoreSettings Store { get; set; } = new();

    /// <summary>How the node joins the Akka cluster: remoting address, seed nodes, split-brain resolver.</summary>
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>How the node finds the cluster: static seeds, or Cluster Bootstrap over listed endpoints or Kubernetes pods.</summary>
    public DiscoverySettings Discovery { get; set; } = new();

    /// <summary>Kafka.</summary>
    public KafkaOptions Kafka { get; set; } = new();

    /// <summary>How the partitions batch, pace and bound their work.</summary>
    public RuntimeOptions Shards { get; set; } = new();

    /// <summary>The model; must be the same on every node.</summary>
    public ModelOptions Model { get; set; } = new();

    /// <summary>Optional item text for content vectors: a folder with MovieLens <c>movies.csv</c> (and <c>tags.csv</c>); the same on every node.</summary>
    public string? ItemsPath { get; set; }

    /// <summary>The files of the text embedder <c>Reco:Model:TextEmbedder</c> names.</summary>
    public TextSettings Text { get; set; } = new();

    /// <summary>
    /// Share segment statistics with the other nodes through the partials topic (on by default); a node that runs
    /// alone (the demo) folds its own and needs no topic.
    /// </summary>
    public bool Exchange { get; set; } = true;

    /// <summary>Metrics export.</summary>
    public MetricsSettings Metrics { get; set; } = new();

    /// <summary>Binds the <c>Reco</c> section; a value of the wrong type is reported like any other invalid field.</summary>
    public static (RecoSettings Settings, IReadOnlyList<string> Errors) Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = new RecoSettings();
        try
        {
            configuration.GetSection(Section).Bind(settings, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            return (settings, [ex.Message]);
        }
        return (settings, settings.Validate());
    }

    /// <summary>Every problem, each naming its field; empty when the node can start.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        errors.AddRange(Node.Validate());
        errors.AddRange(Http.Validate());
        errors.AddRange(Store.Validate());
        errors.AddRange(Kafka.Validate());
        errors.AddRange(Cluster.Validate());
        errors.AddRange(Discovery.Validate(Cluster, Http.Port));
        errors.AddRange(Shards.Validate());
        try
        {
            Model.Validate();
        }
        catch (ArgumentException ex)
        {
            errors.Add($"Reco:Model:{ex.ParamName} {ex.Message.Split(" (Parameter")[0]}");
        }
        if (ItemsPath is { Length: > 0 } items && !File.Exists(Path.Combine(items, "movies.csv")))
            errors.Add($"Reco:ItemsPath '{items}' must be a folder holding movies.csv");
        errors.AddRange(Text.Validate(Model.TextEmbedder));
        if (Metrics.OtlpEndpoint is { Length: > 0 } otlp && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
            errors.Add($"Reco:Metrics:OtlpEndpoint '{otlp}' must be an absolute URL");
        return errors;
    }
}

/// <summary>Who a node is.</summary>
public sealed class NodeSettings
{
    /// <summary>The node's id in answers, logs and Kafka client ids; the host name by default (a StatefulSet pod's name).</summary>
    public string Id { get; set; } = Environment.MachineName;

    internal IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Id)) yield return "Reco:Node:Id is required";
        else if (Id.Length > 128) yield return "Reco:Node:Id must be at most 128 characters";
    }
}

/// <summary>The HTTP API.</summary>
public sealed class HttpSettings
{
    /// <summary>The port the API listens on (all interfaces); 0 picks a free one.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>When set, every request but health and readiness must carry <c>Authorization: Bearer {token}</c>.</summary>
    public string? Token { get; set; }

    /// <summary>The most recommendations one request may ask for.</summary>
    public int MaxRecommendations { get; set; } = 100;

    /// <summary>The largest request body accepted (event ingestion).</summary>
    public int MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>The most events one POST may carry.</summary>
    public int MaxEventsPerRequest { get; set; } = 1_000;

    /// <summary>How long a request may wait for the user's entity (on whichever node hosts it).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    internal IEnumerable<string> Validate()
    {
        if (Port is < 0 or > 65535) yield return $"Reco:Http:Port must be between 0 and 65535 (it was {Port})";
        if (Token is { } t && (t.Length < 16 || t.Any(char.IsWhiteSpace))) yield return "Reco:Http:Token must be at least 16 characters without spaces";
        if (MaxRecommendations is < 1 or > 10_000) yield return $"Reco:Http:MaxRecommendations must be between 1 and 10000 (it was {MaxRecommendations})";
        if (MaxBodyBytes < 1024) yield return $"Reco:Http:MaxBodyBytes must be at least 1024 (it was {MaxBodyBytes})";
        if (MaxEventsPerRequest < 1) yield return $"Reco:Http:MaxEventsPerRequest must be positive (it was {MaxEventsPerRequest})";
        if (Timeout <= TimeSpan.Zero) yield return $"Reco:Http:Timeout must be positive (it was {Timeout})";
    }
}

/// <summary>Where the partitions' journals and snapshots live (Akka.Persistence.Sql).</summary>
public sealed class StoreSettings
{
    /// <summary><c>sqlite</c> (a file; one machine) or <c>postgres</c> (a cluster).</summary>
    public string Kind { get; set; } = "sqlite";

    /// <summary>The SQLite file.</summary>
    public string Path { get; set; } = "reco.db";

    /// <summary>The PostgreSQL connection string (keep it in a secret; it is never logged).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The persistence plugin's store, checked by opening it: a SQLite file in WAL mode (created if missing), or PostgreSQL.</summary>
    /// <exception cref="InvalidOperationException">The store cannot be opened.</exception>
    public PersistenceStore ToPersistence() =>
        Kind == "postgres" ? PersistenceStore.Postgres(ConnectionString!) : PersistenceStore.Sqlite(System.IO.Path.GetFullPath(Path));

    internal IEnumerable<string> Validate()
    {
        switch (Kind)
        {
            case "sqlite":
                if (string.IsNullOrWhiteSpace(Path)) yield return "Reco:Store:Path is required for the sqlite store";
                break;
            case "postgres":
                if (string.IsNullOrWhiteSpace(ConnectionString)) yield return "Reco:Store:ConnectionString is required for the postgres store";
                break;
            default:
                yield return $"Reco:Store:Kind '{Kind}' must be 'sqlite' or 'postgres'";
                break;
        }
    }
}

/// <summary>The files of the text embedder: the language model, its cache, or the vectors file.</summary>
public sealed class TextSettings
{
    /// <summary>A folder with <c>model.onnx</c> and <c>vocab.txt</c> for <c>minilm</c> instead of the copy built into the package.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Where <c>minilm</c> caches what it embedded; by default the SQLite store's folder, or the temporary folder.</summary>
    public string? CachePath { get; set; }

    /// <summary>Item vectors (CSV or JSON lines, as <c>reco embed</c> writes them) for <c>file</c>.</summary>
    public string? EmbeddingsPath { get; set; }

    /// <summary>The files to load, with the cache's default filled in from the store.</summary>
    public TextSources Sources(StoreSettings store) => new(ModelPath is { Length: > 0 } ? ModelPath : null, CachePath is { Length: > 0 } ? CachePath : (store.Kind == "sqlite"
        ? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(store.Path))!
        : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "reco-embeddings")), EmbeddingsPath);

    internal IEnumerable<string> Validate(TextEmbedderKind kind)
    {
        if (kind == TextEmbedderKind.File && string.IsNullOrWhiteSpace(EmbeddingsPath))
            yield return "Reco:Text:EmbeddingsPath is required when Reco:Model:TextEmbedder is file";
        else if (kind == TextEmbedderKind.File && !File.Exists(EmbeddingsPath))
            yield return $"Reco:Text:EmbeddingsPath '{EmbeddingsPath}' does not exist";
        if (kind == TextEmbedderKind.MiniLm && ModelPath is { Length: > 0 } model && !Directory.Exists(model))
            yield return $"Reco:Text:ModelPath '{model}' must be a folder holding model.onnx and vocab.txt";
    }
}

/// <summary>Metrics export (the plain-text endpoint <c>/metrics</c> is always on).</summary>
public sealed class MetricsSettings
{
    /// <summary>An OTLP collector to push metrics to (e.g. <c>http://otel-collector:4317</c>); off when empty.</summary>
    public string? OtlpEndpoint { get; set; }
}
