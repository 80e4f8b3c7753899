using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Node.Http;
using RecoActors.Node.Serving;
using RecoActors.Protocol;
using RecoActors.Runtime;
using RecoActors.Text;

namespace RecoActors.Node.Hosting;

/// <summary>
/// A node with its HTTP API on the .NET generic host: what <c>reco serve</c> runs. Akka.Hosting runs the actor
/// system as a hosted service, so SIGTERM or Ctrl+C runs CoordinatedShutdown (leave the cluster, hand every shard off,
/// persist, close the Kafka clients), and an actor system that terminates on its own (downed by the split-brain
/// resolver) stops the process.
/// </summary>
public sealed class NodeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterProvider? _otlp;
    private readonly ILogger _logger;

    private NodeServer(WebApplication app, RecoNode node, UserReads reads, NodeMetrics metrics, MetricsText text, MeterProvider? otlp, Uri address)
    {
        _app = app;
        Node = node;
        Reads = reads;
        Metrics = metrics;
        MetricsText = text;
        _otlp = otlp;
        Address = address;
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RecoActors.NodeServer");
    }

    /// <summary>The node.</summary>
    public RecoNode Node { get; }

    /// <summary>Recommendations and profiles for any user, from whichever node hosts it.</summary>
    public UserReads Reads { get; }

    /// <summary>The node's instruments.</summary>
    public NodeMetrics Metrics { get; }

    /// <summary>The instruments as Prometheus text.</summary>
    public MetricsText MetricsText { get; }

    /// <summary>Where the API listens (loopback form, for local callers).</summary>
    public Uri Address { get; }

    /// <summary>
    /// Why the node's actor system shut down, once it has: null for a stop it was asked for (SIGTERM, Ctrl+C), else a
    /// sentence (the cluster downed it: the split-brain resolver put it on the minority side, or it was removed while
    /// it could not be reached).
    /// </summary>
    public string? Failure => Akka.Actor.CoordinatedShutdown.Get(Node.System).ShutdownReason switch
    {
        null => null,
        Akka.Actor.CoordinatedShutdown.ClusterDowningReason => "the cluster downed this node (the split-brain resolver left it on the minority side, or it was unreachable for too long)",
        Akka.Actor.CoordinatedShutdown.ClusterLeavingReason or Akka.Actor.CoordinatedShutdown.ClrExitReason => null,
        var other => $"the actor system shut down ({other.GetType().Name})",
    };

    /// <summary>Completes when the host is asked to stop (SIGTERM, Ctrl+C) or the actor system terminated.</summary>
    public Task ShutdownRequested => Task.Delay(Timeout.Infinite, _app.Lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>
    /// Builds the host from <paramref name="args"/> (plus appsettings.json and <c>RECO__</c> environment variables),
    /// starts the API and the node, and completes when the node is an Up member of the cluster.
    /// </summary>
    /// <param name="args">Configuration from the command line: <c>--Reco:Kafka:BootstrapServers=host:9092</c>.</param>
    /// <param name="configure">Further configuration sources, added last (tests use in-memory settings).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ConfigurationException">A setting is wrong; every problem is listed, naming its field.</exception>
    /// <exception cref="InvalidOperationException">
    /// The events topic does not exist, the partials topic does not have one partition, or the store cannot be opened.
    /// </exception>
    /// <exception cref="TimeoutException">No seed node answered within <see cref="ClusterOptions.JoinTimeout"/>.</exception>
    public static async Task<NodeServer> StartAsync(string[] args, Action<IConfigurationBuilder>? configure = null,
        CancellationToken cancellationToken = default)
    {
        // A fold holds a pool thread for tens of milliseconds; on two cores the pool's default minimum (one thread
        // per core) then queues requests behind it while it slowly adds threads. Start with enough for that not to happen.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder.Configuration);
        var (settings, errors) = RecoSettings.Bind(builder.Configuration);
        if (errors.Count > 0) throw new ConfigurationException(errors);
        // Before anything starts: a text model that cannot load is a configuration error, named like the others.
        var textModel = LoadText(settings);
        var kafka = settings.Kafka;
        int partitions;
        PersistenceStore store;
        try
        {
            partitions = TopicMetadata.PartitionCount(kafka, kafka.EventsTopic, TimeSpan.FromSeconds(15));
            store = settings.Store.ToPersistence();
            // One partition gives every node the partials in one order, so their models stay the same.
            if (settings.Exchange && TopicMetadata.PartitionCount(kafka, kafka.PartialsTopic, TimeSpan.FromSeconds(15)) is var partials and not 1)
                throw new InvalidOperationException($"topic '{kafka.PartialsTopic}' (Reco:Kafka:PartialsTopic) has {partials} partitions; it must have one, so that every node folds the partials in one order");
        }
        catch
        {
            // The cache file stays open otherwise, and the next start in this process could not open it.
            textModel.Dispose();
            throw;
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenAnyIP(settings.Http.Port);
            if (settings.Discovery.Bootstraps) kestrel.ListenAnyIP(settings.Discovery.ManagementPort);
            kestrel.Limits.MaxRequestBodySize = settings.Http.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Default));
        // Long enough for every partition to be persisted and handed off on SIGTERM (the hand-off phase's timeout).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Shards.HandOffTimeout + TimeSpan.FromSeconds(10));
        RecoNode? started = null;
        builder.Services.AddAkka(settings.Cluster.SystemName, (akka, services) => akka
            .AddHocon(RuntimeConfig.Build(settings.Cluster, store, settings.Shards), HoconAddMode.Prepend)
            .WithClusterDiscovery(settings.Discovery, settings.Cluster)
            .ConfigureLoggers(loggers =>
            {
                // Akka logs through the host's logging, at the level the host's configuration gives category "Akka".
                loggers.LogLevel = AkkaLevel(services.GetRequiredService<ILoggerFactory>().CreateLogger("Akka"));
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            })
            .AddStartup(new StartupTask(async (system, _) => started = await RecoNode.StartAsync(settings, system, partitions, services.GetRequiredService<ILoggerFactory>(), textModel))));
        var app = builder.Build();
        var holder = new NodeApi.Holder();
        NodeApi.Map(app, settings, holder);
        try
        {
            // The node's journal and snapshot store create their tables while it starts (RecoNode.StartAsync): one node at a time.
            await using var schema = await store.LockSchemaAsync(cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A node that cannot start (a snapshot that does not decode, a store that does not answer) leaves nothing running.
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            if (started is null) textModel.Dispose();
            throw;
        }
        var node = started ?? throw new InvalidOperationException("the actor system started without the node");
        var port = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"))).First().Port;
        var metrics = new NodeMetrics(node);
        var text = new MetricsText(NodeMetrics.MeterName);
        var otlp = settings.Metrics.OtlpEndpoint is { Length: > 0 } endpoint
            ? Sdk.CreateMeterProviderBuilder().AddMeter(NodeMetrics.MeterName).AddOtlpExporter(o => o.Endpoint = new Uri(endpoint)).Build()
            : null;
        var reads = new UserReads(node, metrics);
        holder.Set(node, reads, text);
        var server = new NodeServer(app, node, reads, metrics, text, otlp, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            // Catching up takes as long as the partials topic's tail does; the join timeout counts from its end.
            await node.CaughtUp.WaitAsync(cancellationToken).ConfigureAwait(false);
            await node.Up.WaitAsync(settings.Cluster.JoinTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"the node did not join the cluster within {settings.Cluster.JoinTimeout.TotalSeconds:0} s " +
                $"(Reco:Cluster:JoinTimeout) through {ClusterDiscovery.Describe(settings.Discovery, settings.Cluster)}");
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <exception cref="ConfigurationException">The text model cannot be loaded; the message names the setting and the file.</exception>
    private static TextModel LoadText(RecoSettings settings)
    {
        try
        {
            return TextModel.Load(settings.Model, settings.Text.Sources(settings.Store));
        }
        catch (TextModelException ex)
        {
            var field = settings.Model.TextEmbedder == TextEmbedderKind.File ? "Reco:Text:EmbeddingsPath"
                : settings.Text.ModelPath is { Length: > 0 } ? "Reco:Text:ModelPath" : "Reco:Model:TextEmbedder";
            throw new ConfigurationException([$"{field}: the {settings.Model.TextEmbedder.ToString().ToLowerInvariant()} text embedder cannot be loaded: {ex.Message}"]);
        }
    }

    private static Akka.Event.LogLevel AkkaLevel(ILogger logger) =>
        logger.IsEnabled(LogLevel.Debug) ? Akka.Event.LogLevel.DebugLevel
        : logger.IsEnabled(LogLevel.Information) ? Akka.Event.LogLevel.InfoLevel
        : logger.IsEnabled(LogLevel.Warning) ? Akka.Event.LogLevel.WarningLevel
        : Akka.Event.LogLevel.ErrorLevel;

    /// <summary>Stops as on SIGTERM: the API, then CoordinatedShutdown (leave, hand every partition off persisted, close Kafka).</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        _logger.LogInformation("Node {Node} exited cleanly", Node.Id);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _otlp?.Dispose();
        MetricsText.Dispose();
        Metrics.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
