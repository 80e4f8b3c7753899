using Microsoft.Extensions.Configuration;
using RecoActors.Node.Hosting;

namespace RecoActors.Node.Tests;

public sealed class SettingsTests
{
    private static IReadOnlyList<string> Errors(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        return RecoSettings.Bind(configuration).Errors;
    }

    [Fact]
    public void Good_settings_have_no_errors() =>
        Assert.Empty(Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), ("Reco:Node:Id", "reco-0"), ("Reco:Store:Kind", "postgres"),
            ("Reco:Store:ConnectionString", "Host=db"), ("Reco:Shards:CommitInterval", "00:00:02"), ("Reco:Model:Segments", "8"),
            ("Reco:Cluster:SeedNodes:0", "reco-0.reco:4053"), ("Reco:Cluster:SeedNodes:1", "reco-1.reco:4053"), ("Reco:Cluster:PublicHostname", "reco-0.reco")));

    [Theory]
    [InlineData("Reco:Store:Kind", "mysql", "Reco:Store:Kind 'mysql' must be 'sqlite' or 'postgres'")]
    [InlineData("Reco:Http:Port", "70000", "Reco:Http:Port must be between 0 and 65535")]
    [InlineData("Reco:Http:Token", "short", "Reco:Http:Token must be at least 16 characters")]
    [InlineData("Reco:Shards:CommitEvery", "0", "Reco:Shards:CommitEvery must be positive")]
    [InlineData("Reco:Kafka:AssignmentStrategy", "roundrobin", "'AssignmentStrategy'")]
    [InlineData("Reco:Model:Dimension", "1", "Reco:Model:Dimension")]
    [InlineData("Reco:Cluster:Port", "99999", "Reco:Cluster:Port must be from 0 to 65535")]
    [InlineData("Reco:Cluster:SeedNodes:0", "reco-0", "Reco:Cluster:SeedNodes 'reco-0' must be host:port")]
    [InlineData("Reco:Cluster:SystemName", "reco cluster", "Reco:Cluster:SystemName 'reco cluster' must be")]
    [InlineData("Reco:Cluster:StableAfter", "00:00:00.1", "Reco:Cluster:StableAfter must be at least 1 s")]
    [InlineData("Reco:Shards:MaxInFlight", "4", "Reco:Shards:MaxInFlight must be at least 16")]
    [InlineData("Reco:Http:Port", "eighty", "Reco:Http:Port")]
    [InlineData("Reco:Htp:Port", "8080", "'Htp'")]
    [InlineData("Reco:Kafka:SecurityProtocol", "tls", "Reco:Kafka:SecurityProtocol 'tls' must be")]
    [InlineData("Reco:Kafka:SecurityProtocol", "sasl_ssl", "Reco:Kafka:SaslUsername is required with sasl_ssl")]
    [InlineData("Reco:Kafka:Properties:sasl.password", "x", "Reco:Kafka:Properties:sasl.password has a setting of its own")]
    [InlineData("Reco:Model:TextEmbedder", "bert", "Reco:Model:TextEmbedder")]
    [InlineData("Reco:Model:TextEmbedder", "file", "Reco:Text:EmbeddingsPath is required when Reco:Model:TextEmbedder is file")]
    public void A_wrong_setting_is_named(string key, string value, string expected)
    {
        var errors = Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), (key, value));
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Reco:Discovery:Method", "dns", "Reco:Discovery:Method 'dns' must be 'seeds', 'config' or 'kubernetes'")]
    [InlineData("Reco:Discovery:Endpoints:0", "node-0:8558", "Reco:Discovery:Endpoints are read only with Method 'config' (it is 'seeds')")]
    public void A_wrong_discovery_setting_is_named(string key, string value, string expected) =>
        Assert.Contains(expected, Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), (key, value)));

    [Fact]
    public void Bootstrap_settings_are_checked_together()
    {
        (string, string)[] config = [("Reco:Kafka:BootstrapServers", "kafka:9092"), ("Reco:Discovery:Method", "config"),
            ("Reco:Discovery:Endpoints:0", "node-0:8558"), ("Reco:Discovery:Endpoints:1", "node-1:8558")];
        Assert.Empty(Errors(config));
        Assert.Empty(Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), ("Reco:Discovery:Method", "kubernetes")));
        Assert.Contains("Reco:Cluster:SeedNodes must be empty with Reco:Discovery:Method 'config': the bootstrap finds the cluster",
            Errors([.. config, ("Reco:Cluster:SeedNodes:0", "node-0:4053")]));
        Assert.Contains("Reco:Discovery:Endpoints 'node-2' must be host:port", Errors([.. config, ("Reco:Discovery:Endpoints:2", "node-2")]));
        Assert.Contains("Reco:Discovery:RequiredContactPoints 3 is more than the 2 endpoints listed", Errors([.. config, ("Reco:Discovery:RequiredContactPoints", "3")]));
        Assert.Contains("Reco:Discovery:ManagementPort 4053 is also Reco:Cluster:Port or Reco:Http:Port", Errors([.. config, ("Reco:Discovery:ManagementPort", "4053")]));
        Assert.Contains("Reco:Discovery:Endpoints must list every node's management endpoint (host:port) with Method 'config'",
            Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), ("Reco:Discovery:Method", "config")));
    }

    [Fact]
    public void Text_model_files_are_checked_against_the_embedder_that_reads_them()
    {
        Assert.Empty(Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), ("Reco:Model:TextEmbedder", "minilm")));
        Assert.Contains("Reco:Text:ModelPath 'no-such-folder' must be a folder holding model.onnx and vocab.txt",
            Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), ("Reco:Model:TextEmbedder", "minilm"), ("Reco:Text:ModelPath", "no-such-folder")));
        Assert.Contains("Reco:Text:EmbeddingsPath 'no-such.jsonl' does not exist",
            Errors(("Reco:Kafka:BootstrapServers", "kafka:9092"), ("Reco:Model:TextEmbedder", "file"), ("Reco:Text:EmbeddingsPath", "no-such.jsonl")));
    }

    [Fact]
    public async Task A_language_model_that_cannot_load_stops_the_start_naming_the_setting_and_the_file()
    {
        var folder = Directory.CreateTempSubdirectory("reco-model-");
        try
        {
            var ex = await Assert.ThrowsAsync<ConfigurationException>(() => NodeServer.StartAsync([], c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Reco:Kafka:BootstrapServers"] = "127.0.0.1:1",
                ["Reco:Model:TextEmbedder"] = "minilm",
                ["Reco:Text:ModelPath"] = folder.FullName,
            })));
            Assert.Contains("Reco:Text:ModelPath: the minilm text embedder cannot be loaded", ex.Message);
            Assert.Contains(Path.Combine(folder.FullName, "model.onnx") + " does not exist", ex.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_missing_bootstrap_server_is_named() =>
        Assert.Contains("Reco:Kafka:BootstrapServers is required (host:port[,host:port…])", Errors());
}
