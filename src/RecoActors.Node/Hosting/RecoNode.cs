using Microsoft.Extensions.Logging;
using RecoActors.Actors;
using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Storage;

namespace RecoActors.Node.Hosting;

/// <summary>
/// One running node: its store, its actors, its Kafka consumer (the shard allocation), the partial exchange, and a
/// producer for events that arrive over HTTP. <c>reco serve</c>, <c>reco demo</c>, the benchmark and the tests all
/// run this same object.
/// </summary>
public sealed class RecoNode : IAsyncDisposable
{
    private readonly DeadLetterWriter _deadLetters;
    private readonly EventConsumer _consumer;
    private readonly ILogger _logger;
    private int _stopped;

    private RecoNode(RecoSettings settings, IShardStore store, int partitions, NodeActors actors, DeadLetterWriter deadLetters,
        EventConsumer consumer, EventProducer producer, ILogger logger)
    {
        Settings = settings;
        Store = store;
        Partitions = partitions;
        Actors = actors;
        _deadLetters = deadLetters;
        _consumer = consumer;
        Producer = producer;
        _logger = logger;
    }

    /// <summary>The settings the node runs with.</summary>
    public RecoSettings Settings { get; }

    /// <summary>This node's id.</summary>
    public string Id => Settings.Node.Id;

    /// <summary>Partitions of the events topic: the shard count users are hashed onto.</summary>
    public int Partitions { get; }

    /// <summary>The node's actors: shard region, segment actor, model.</summary>
    public NodeActors Actors { get; }

    /// <summary>The store, for the ownership table.</summary>
    public IShardStore Store { get; }

    /// <summary>Produces events accepted over HTTP.</summary>
    public EventProducer Producer { get; }

    /// <summary>Records sent to the dead-letter topic by this node.</summary>
    public long DeadLetters => _deadLetters.Delivered;

    /// <summary>
    /// How far behind each held partition is: its end (as last fetched) minus the shard's next offset. A partition
    /// not fetched yet is left out.
    /// </summary>
    public IReadOnlyList<(int Partition, long Lag)> Lag()
    {
        var lag = new List<(int, long)>();
        foreach (var (tp, end) in _consumer.Ends())
            if (Actors.Region.NextOffset(tp.Partition.Value) is { } next) lag.Add((tp.Partition.Value, Math.Max(0, end - next)));
        return lag;
    }

    /// <summary>Opens the store, starts the actors, joins the consumer group.</summary>
    /// <exception cref="ConfigurationException">The settings are invalid.</exception>
    /// <exception cref="InvalidOperationException">The events topic does not exist, or the store cannot be opened.</exception>
    public static async Task<RecoNode> StartAsync(RecoSettings settings, ILoggerFactory loggers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        var errors = settings.Validate();
        if (errors.Count > 0) throw new ConfigurationException(errors);
        var logger = loggers.CreateLogger("RecoActors.Node");
        var kafka = settings.Kafka;
        var partitions = TopicMetadata.PartitionCount(kafka, kafka.EventsTopic, TimeSpan.FromSeconds(15));
        var store = await OpenStoreAsync(settings.Store, cancellationToken).ConfigureAwait(false);
        var catalog = new ItemCatalog();
        var model = settings.Model;
        var actors = NodeActors.Start(settings.Region, model, store, loggers: loggers, catalog: catalog,
            exchange: settings.Exchange ? new PartialExchange(kafka, settings.Node.Id, loggers.CreateLogger("RecoActors.PartialExchange")) : null);
        if (settings.ItemsPath is { Length: > 0 } items) LoadItemText(items, actors, model);
        var deadLetters = DeadLetterWriter.Create(kafka, logger, $"{settings.Node.Id}-dlq");
        var consumer = new EventConsumer(kafka, settings.Node.Id, actors.Region, deadLetters, loggers.CreateLogger("RecoActors.EventConsumer"));
        var producer = EventProducer.Create(kafka, $"{settings.Node.Id}-api");
        consumer.Start();
        logger.LogInformation("Node {Node} started: {Partitions} partitions in {Topic}, store {Store}, endpoint {Endpoint}, {Kafka}",
            settings.Node.Id, partitions, kafka.EventsTopic, settings.Store.Kind, settings.Region.Endpoint, KafkaNative.Describe());
        return new RecoNode(settings, store, partitions, actors, deadLetters, consumer, producer, logger);
    }

    /// <summary>
    /// Leaves gracefully: stops consuming, flushes and commits every shard, releases ownership (all through the
    /// consumer's revocation), then stops the actors and closes the store.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        _logger.LogInformation("Node {Node} stopping: flushing and handing its partitions over", Id);
        await _consumer.StopAsync().ConfigureAwait(false);
        _consumer.Dispose();
        try
        {
            Producer.Flush(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException ex)
        {
            _logger.LogWarning("Node {Node}: some accepted events were not acknowledged by Kafka before stop: {Error}", Id, ex.Message);
        }
        Producer.Dispose();
        _deadLetters.Flush(TimeSpan.FromSeconds(10));
        _deadLetters.Dispose();
        await Actors.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
        _logger.LogInformation("Node {Node} stopped", Id);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>Opens the configured store.</summary>
    public static async Task<IShardStore> OpenStoreAsync(StoreSettings store, CancellationToken cancellationToken = default)
    {
        try
        {
            return store.Kind == "postgres"
                ? await PostgresShardStore.OpenAsync(store.ConnectionString!, cancellationToken).ConfigureAwait(false)
                : await SqliteShardStore.OpenAsync(store.Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            // The drivers' messages name the problem, never the password; the connection string itself is not repeated.
            throw new InvalidOperationException($"the {store.Kind} store (Reco:Store) cannot be opened: {ex.Message}", ex);
        }
    }

    private static void LoadItemText(string folder, NodeActors actors, ModelOptions model)
    {
        using var movies = new StreamReader(Path.Combine(folder, "movies.csv"));
        var tagsPath = Path.Combine(folder, "tags.csv");
        using var tags = File.Exists(tagsPath) ? new StreamReader(tagsPath) : null;
        var embedder = new ContentEmbedder(model.Dimension, model.Seed);
        foreach (var item in ItemTextFile.Read(movies, tags).Items)
            actors.Model.SetContent(actors.Catalog.GetOrAdd(item.ItemId), embedder.Embed(item.Title, item.Genres, item.Tags));
    }
}
