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
using RecoActors.Actors;
using RecoActors.Node.Http;
using RecoActors.Node.Routing;

namespace RecoActors.Node.Hosting;

/// <summary>
/// A node with its HTTP API on the .NET generic host: what <c>reco serve</c> runs. The API starts first (so the
/// node knows its port before it writes its endpoint to the ownership table), then the node joins the group.
/// Stopping (SIGTERM) hands every partition over: stop consuming, flush, commit, release, exit.
/// </summary>
public sealed class NodeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterProvider? _otlp;
    private readonly ILogger _logger;

    private NodeServer(WebApplication app, RecoNode node, Router router, ActorRef<RouterMessage> routerActor, NodeMetrics metrics,
        MetricsText text, MeterProvider? otlp, Uri address)
    {
        _app = app;
        Node = node;
        Router = router;
        RouterActor = routerActor;
        Metrics = metrics;
        MetricsText = text;
        _otlp = otlp;
        Address = address;
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RecoActors.NodeServer");
    }

    /// <summary>The node.</summary>
    public RecoNode Node { get; }

    /// <summary>Answers for any user, here or on the owner.</summary>
    public Router Router { get; }

    /// <summary>The router as an actor, for in-process callers: tell it <see cref="RouterMessage"/>s.</summary>
    public ActorRef<RouterMessage> RouterActor { get; }

    /// <summary>The node's instruments.</summary>
    public NodeMetrics Metrics { get; }

    /// <summary>The instruments as Prometheus text.</summary>
    public MetricsText MetricsText { get; }

    /// <summary>Where the API listens (loopback form, for local callers).</summary>
    public Uri Address { get; }

    /// <summary>Completes when the host is asked to stop (SIGTERM, Ctrl+C).</summary>
    public Task ShutdownRequested => Task.Delay(Timeout.Infinite, _app.Lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>Builds the host from <paramref name="args"/> (plus appsettings.json and <c>RECO__</c> environment variables), starts the API and the node.</summary>
    /// <param name="args">Configuration from the command line: <c>--Reco:Kafka:BootstrapServers=host:9092</c>.</param>
    /// <param name="configure">Further configuration sources, added last (tests use in-memory settings).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ConfigurationException">A setting is wrong; every problem is listed, naming its field.</exception>
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

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenAnyIP(settings.Http.Port);
            kestrel.Limits.MaxRequestBodySize = settings.Http.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Default));
        // Long enough for every shard to flush and release on SIGTERM.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Shards.RevokeTimeout + TimeSpan.FromSeconds(10));
        builder.Services.AddHttpClient();
        var app = builder.Build();
        var holder = new NodeApi.Holder();
        NodeApi.Map(app, settings, holder);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var port = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"))).First().Port;
        // A free port (0) means a local run: other nodes reach this one on loopback.
        if (string.IsNullOrWhiteSpace(settings.Node.Endpoint))
            settings.Node.Endpoint = settings.Http.Port == 0 ? $"http://127.0.0.1:{port}" : settings.Node.AdvertisedEndpoint(port);

        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        RecoNode node;
        try
        {
            node = await RecoNode.StartAsync(settings, loggers, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var metrics = new NodeMetrics(node);
        var text = new MetricsText(NodeMetrics.MeterName);
        var otlp = settings.Metrics.OtlpEndpoint is { Length: > 0 } endpoint
            ? Sdk.CreateMeterProviderBuilder().AddMeter(NodeMetrics.MeterName)
                .AddOtlpExporter(o => o.Endpoint = new Uri(endpoint)).Build()
            : null;
        var http = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("reco-forward");
        var router = new Router(node, http, metrics, loggers.CreateLogger("RecoActors.Router"));
        var routerActor = node.Actors.System.Spawn($"{node.Id}/router", () => new RouterActor(router));
        holder.Set(node, router, text);
        return new NodeServer(app, node, router, routerActor, metrics, text, otlp, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>Hands the partitions over and stops: the node first (flush, commit, release), then the API.</summary>
    public async Task StopAsync()
    {
        await Node.StopAsync().ConfigureAwait(false);
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
