using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Logging;
using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Protocol;
using RecoActors.Runtime;
using RecoActors.Text;

namespace RecoActors.Node.Hosting;

/// <summary>
/// One node's runtime in its actor system: the user region and its partition actors, the model actor and its segment actors, the Kafka
/// feed the partitions read through, the dead-letter writer, the partial exchange, and a producer for events that
/// arrive over HTTP. <c>reco serve</c>, <c>reco demo</c>, the benchmark and the tests all run this same object.
/// </summary>
/// <remarks>
/// The Kafka clients close in CoordinatedShutdown's last phase, after the region has handed its shards off, so a
/// graceful leave (SIGTERM) and a downing by the split-brain resolver both persist every partition before the feed
/// goes.
/// </remarks>
public sealed class RecoNode
{
    private readonly DeadLetterWriter _deadLetters;
    private readonly KafkaFeed _feed;
    private readonly PartialExchange? _exchange;
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private long _eventsFolded;
    private long _savedVersion = -1;
    private TextModel? _text;

    private RecoNode(RecoSettings settings, int partitions, ActorSystem system, DeadLetterWriter deadLetters, KafkaFeed feed,
        PartialExchange? exchange, EventProducer producer)
    {
        Settings = settings;
        Partitions = partitions;
        System = system;
        _deadLetters = deadLetters;
        _feed = feed;
        _exchange = exchange;
        Producer = producer;
        Runtime = null!;
    }

    /// <summary>The settings the node runs with.</summary>
    public RecoSettings Settings { get; }

    /// <summary>This node's id.</summary>
    public string Id => Settings.Node.Id;

    /// <summary>Partitions of the events topic: the shard count users are hashed onto.</summary>
    public int Partitions { get; }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The user region, the model actor and the node's shared state.</summary>
    public RecoRuntime Runtime { get; private set; }

    /// <summary>The node's shared state: counters, resident users, partitions running here.</summary>
    public NodeContext Context => Runtime.Node;

    /// <summary>This node's copy of the global model.</summary>
    public GlobalModel Model => Context.Model;

    /// <summary>Items' titles by id, from <see cref="RecoSettings.ItemsPath"/> (empty without it).</summary>
    public IReadOnlyDictionary<string, string> Titles { get; private init; } = new Dictionary<string, string>();

    /// <summary>Dead letters this node sent, by reason code.</summary>
    public IReadOnlyDictionary<string, long> DeadLettersByCode => _deadLetters.ByCode;

    /// <summary>Produces events accepted over HTTP.</summary>
    public EventProducer Producer { get; }

    /// <summary>Records sent to the dead-letter topic by this node.</summary>
    public long DeadLetters => _deadLetters.Delivered;

    /// <summary>Records that arrived on another partition than their user's (dead-lettered as <c>wrong-partition</c>).</summary>
    public long WrongPartition => _feed.WrongPartition;

    /// <summary>Events in the partials folded into this node's model so far (every node's, with an exchange).</summary>
    public long EventsFolded => Interlocked.Read(ref _eventsFolded);

    /// <summary>The model version this node last persisted (it does while it is the oldest node); −1 before any.</summary>
    public long SavedModelVersion => Volatile.Read(ref _savedVersion);

    /// <summary>Where this node's model started in the partials topic: its snapshot's place, or the beginning.</summary>
    public ExchangePosition ExchangeFrom { get; private set; } = ExchangePosition.Beginning;

    /// <summary>
    /// Completes when this node's model holds every partial the partials topic held when the node started (at once
    /// without an exchange); the node joins the cluster after that.
    /// </summary>
    public Task CaughtUp => _caughtUp.Task;

    /// <summary>Completes when this node is an Up member of the cluster; fails if it could not set out to join.</summary>
    public Task Up => _up.Task;

    /// <summary>Whether the store answers: false from a failed write or recovery until the next one succeeds.</summary>
    public bool StoreAvailable => Context.StoreTrouble.Available;

    /// <summary>
    /// How far behind each partition running here is: its end (as last fetched) minus the next offset to read. A
    /// partition not fetched yet is left out.
    /// </summary>
    public IReadOnlyList<(int Partition, long Lag)> Lag() =>
        [.. Context.Progress.Where(p => p.Running && _feed.End(p.Partition) is not null)
            .Select(p => (p.Partition, Math.Max(0, _feed.End(p.Partition)!.Value - p.Position)))];

    /// <summary>
    /// Starts the node's actors in <paramref name="system"/> (configured by <see cref="RuntimeConfig.Build"/>); once its
    /// model has caught up (<see cref="CaughtUp"/>) it joins the cluster: through the bootstrap, the configured seed
    /// nodes, or (none) a cluster of its own.
    /// </summary>
    /// <param name="settings">The node's settings (validated).</param>
    /// <param name="system">The actor system.</param>
    /// <param name="partitions">Partitions of the events topic.</param>
    /// <param name="loggers">Logging for the Kafka clients.</param>
    /// <param name="text">The text embedder's model (loaded from the settings); the node owns it from here and closes it when it stops.</param>
    /// <remarks>
    /// With an exchange, the model starts from its last persisted checkpoint, before any user can index an item, and
    /// the exchange is read on from there.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The persisted model cannot be read (it is left as it is).</exception>
    public static async Task<RecoNode> StartAsync(RecoSettings settings, ActorSystem system, int partitions, ILoggerFactory loggers, TextModel text)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(text);
        var logger = loggers.CreateLogger("RecoActors.Node");
        var kafka = settings.Kafka;
        var id = settings.Node.Id;
        var model = new GlobalModel(settings.Model, new ItemCatalog(), text.Embedder);
        var titles = settings.ItemsPath is { Length: > 0 } items ? LoadItemText(items, model, text.Embedder, logger) : new Dictionary<string, string>();
        var snapshots = settings.Exchange ? new ModelSnapshots(ModelCheckpoint.PersistenceId(kafka.PartialsTopic), settings.Shards.ModelSnapshotInterval) : null;
        var from = ExchangePosition.Beginning;
        if (snapshots is not null && await snapshots.LoadAsync(system, TimeSpan.FromSeconds(30)).ConfigureAwait(false) is { } checkpoint)
        {
            try
            {
                model.Load(checkpoint.State.Span);
            }
            catch (FormatException ex)
            {
                throw new InvalidOperationException($"the model snapshot '{snapshots.PersistenceId}' ({checkpoint.State.Length:N0} bytes, version {checkpoint.Version}) " +
                    $"cannot be read: {ex.Message}. It is left as it is; delete it to rebuild the model from the partials topic", ex);
            }
            from = new ExchangePosition(checkpoint.Completed, checkpoint.Resume);
            logger.LogInformation("Node {Node}: the model starts from its snapshot at version {Version}; partials are read on from offset {Offset}", id, checkpoint.Version, from.Resume);
        }
        // The journal creates its tables on first use: use it now, while this node holds the store's schema lock (NodeServer).
        await WarmJournalAsync(system).ConfigureAwait(false);
        var deadLetters = DeadLetterWriter.Create(kafka, logger, $"{id}-dlq");
        var feed = new KafkaFeed(kafka, id, partitions, deadLetters, loggers.CreateLogger("RecoActors.KafkaFeed"));
        var exchange = settings.Exchange ? new PartialExchange(kafka, id, loggers.CreateLogger("RecoActors.PartialExchange")) : null;
        var node = new RecoNode(settings, partitions, system, deadLetters, feed, exchange, EventProducer.Create(kafka, $"{id}-api")) { _text = text, Titles = titles };
        var context = new NodeContext(id, kafka.EventsTopic, partitions, settings.Shards, model, feed);
        Action<ModelPartial>? publish = exchange is null ? null : partial => exchange.Publish(PartialCodec.Encode(partial, i => model.Catalog[i]));
        node.Runtime = RecoRuntime.Start(system, context, publish, events => Interlocked.Add(ref node._eventsFolded, events), snapshots,
            saved => Volatile.Write(ref node._savedVersion, saved.Version));
        node.ExchangeFrom = from;
        // Partials are decoded on the exchange's reader thread, in topic order, and folded by the model actor. Decoding
        // one (hundreds of kilobytes) comes with every fold, and like the fold it gives way to requests.
        exchange?.Start(from, (bytes, at) =>
        {
            BackgroundThread.Lower();
            node.Runtime.Node.ModelActor.Tell(new ModelCommand.Exchanged(PartialCodec.Decode(bytes, model.Catalog, settings.Model), at));
        });
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "close-kafka-clients", () =>
        {
            node.Close(logger);
            return Task.FromResult(Akka.Done.Instance);
        });

        var cluster = Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => node._up.TrySetResult());
        logger.LogInformation("Node {Node} started at {Address}: {Partitions} partitions in {Topic}, store {Store}, joining through {Discovery} once its model has caught up, {Kafka}",
            id, cluster.SelfAddress, partitions, kafka.EventsTopic, settings.Store.Kind, ClusterDiscovery.Describe(settings.Discovery, settings.Cluster), KafkaNative.Describe());
        _ = node.JoinWhenCaughtUpAsync(logger);
        return node;
    }

    /// <summary>
    /// Joins the cluster once the model holds every partial the partials topic held when the node started: a member
    /// takes shards over at once, and ranks their users from its model. Like a Kafka Streams task that restores its
    /// stores before it runs, the node catches up first and serves after.
    /// </summary>
    private async Task JoinWhenCaughtUpAsync(ILogger logger)
    {
        try
        {
            if (_exchange is not null)
            {
                var clock = global::System.Diagnostics.Stopwatch.StartNew();
                await _exchange.CaughtUp.ConfigureAwait(false);
                // The reader tells the model actor each partial as it reads it; the actor answers once it has folded them all.
                var model = await Context.ModelActor.Ask<ModelSnapshot>(ModelCommand.FoldNow.Instance, _closing.Token).ConfigureAwait(false);
                logger.LogInformation("Node {Node}: the model caught up with {Topic} in {Seconds:F1} s, at version {Version}; joining the cluster",
                    Id, Settings.Kafka.PartialsTopic, clock.Elapsed.TotalSeconds, model.Version);
            }
            _caughtUp.TrySetResult();
            var cluster = Cluster.Get(System);
            // A node with neither seeds nor bootstrap is a cluster of its own.
            if (Settings.Discovery.Bootstraps) await ClusterDiscovery.StartBootstrapAsync(System, Settings.Discovery, Settings.Cluster).ConfigureAwait(false);
            else if (Settings.Cluster.SeedNodes.Count == 0) cluster.Join(cluster.SelfAddress);
            else cluster.JoinSeedNodes(ClusterConfig.SeedAddresses(Settings.Cluster));
        }
        catch (OperationCanceledException)
        {
            // The node stopped before it caught up.
            _caughtUp.TrySetCanceled();
            _up.TrySetCanceled();
        }
        catch (Exception ex)
        {
            _caughtUp.TrySetException(ex);
            _up.TrySetException(ex);
        }
    }

    /// <summary>
    /// Why this node should not get requests yet (for <c>/readyz</c>), or null: its model must have caught up, it must
    /// be an Up member, its store must answer, every partition must have a home in the cluster, and those here must
    /// have recovered.
    /// </summary>
    public async Task<string?> NotReadyAsync()
    {
        if (!CaughtUp.IsCompleted) return "the model is catching up with the partials topic";
        if (!Up.IsCompleted) return "the node has not joined the cluster yet";
        if (!StoreAvailable) return "the store is unavailable; partitions are paused";
        try
        {
            return await Runtime.NotReadyAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return "the shard regions did not report within 2 s";
        }
    }

    /// <summary>A user's state from whichever node hosts the user (the region routes, and buffers during a hand-off).</summary>
    /// <exception cref="Akka.Actor.AskTimeoutException">No answer within <see cref="HttpSettings.Timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The user's stored state cannot be read.</exception>
    public Task<UserRead> ReadUserAsync(string userId, CancellationToken cancellationToken = default) =>
        Runtime.ReadUserAsync(userId, Settings.Http.Timeout, cancellationToken);

    /// <summary>Asks the journal for a persistence id nobody uses, so that it initializes (and creates its tables) now.</summary>
    /// <exception cref="InvalidOperationException">The journal did not answer in time.</exception>
    private static async Task WarmJournalAsync(ActorSystem system)
    {
        var journal = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(null);
        try
        {
            Func<IActorRef, object> replay = replyTo => new Akka.Persistence.ReplayMessages(1, 0, 0, "reco-journal-check", replyTo);
            await journal.Ask<object>(replay, TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new InvalidOperationException("the store's journal did not start within 30 s (Reco:Store)");
        }
    }

    private void Close(ILogger logger)
    {
        _closing.Cancel();
        _exchange?.Dispose();
        _feed.Dispose();
        try
        {
            Producer.Flush(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException ex)
        {
            logger.LogWarning("Node {Node}: some accepted events were not acknowledged by Kafka before stop: {Error}", Id, ex.Message);
        }
        Producer.Dispose();
        _deadLetters.Flush(TimeSpan.FromSeconds(10));
        _deadLetters.Dispose();
        _text?.Dispose();
        logger.LogInformation("Node {Node} stopped", Id);
    }

    /// <returns>The items' titles, by id.</returns>
    private static Dictionary<string, string> LoadItemText(string folder, GlobalModel model, ITextEmbedder? embedder, ILogger logger)
    {
        var tagsPath = Path.Combine(folder, "tags.csv");
        var items = ItemTextFile.Read(Path.Combine(folder, "movies.csv"), File.Exists(tagsPath) ? tagsPath : null).Items;
        var titles = items.ToDictionary(i => i.ItemId, i => i.Title, StringComparer.Ordinal);
        if (embedder is null) return titles;
        var clock = global::System.Diagnostics.Stopwatch.StartNew();
        var vectors = embedder.EmbedCatalogue(items);
        for (var i = 0; i < items.Count; i++) model.SetContent(model.Catalog.GetOrAdd(items[i].ItemId), vectors[i]);
        logger.LogInformation("Content vectors of {Items} items by {Embedder} in {Seconds:F1} s", items.Count, embedder.Name, clock.Elapsed.TotalSeconds);
        return titles;
    }
}
