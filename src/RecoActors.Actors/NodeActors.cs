using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Storage;

namespace RecoActors.Actors;

/// <summary>One node's actors, wired as in DESIGN §1: the segment actor, the shard region, and the model they share.</summary>
public sealed class NodeActors : IAsyncDisposable
{
    private readonly PartialExchange? _exchange;
    private long _eventsFolded;
    private ChannelWriter<byte[]>? _arrived;
    private Task _decoding = Task.CompletedTask;

    private NodeActors(RegionOptions region, ModelOptions model, IShardStore store, TimeSpan foldInterval, ILoggerFactory loggers,
        ItemCatalog catalog, PartialExchange? exchange)
    {
        Catalog = catalog;
        Model = new GlobalModel(model, Catalog);
        System = new ActorSystem(loggers);
        _exchange = exchange;
        Action<ModelPartial>? publish = exchange is null ? null : partial => exchange.Publish(PartialCodec.Encode(partial, i => catalog[i]));
        Segments = System.Spawn($"{region.NodeId}/segments",
            () => new SegmentActor(Model, foldInterval, publish, events => Interlocked.Add(ref _eventsFolded, events)));
        Region = new ShardRegion(region, store, Model, Catalog, System, Segments, loggers.CreateLogger("RecoActors.ShardRegion"));
        if (exchange is null) return;
        // The reader only fetches: a reader that falls behind the topic's retention loses partials. Decoding runs on
        // its own task, in arrival order; folding stays with the segment actor.
        var arrived = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _decoding = Task.Run(async () =>
        {
            await foreach (var bytes in arrived.Reader.ReadAllAsync().ConfigureAwait(false))
                await Segments.TellAsync(new SegmentMessage.Exchanged(PartialCodec.Decode(bytes, catalog.GetOrAdd, model))).ConfigureAwait(false);
        });
        _arrived = arrived.Writer;
        exchange.Start(bytes => arrived.Writer.TryWrite(bytes));
    }

    /// <summary>Events in the partials folded into this node's model so far (every node's, with an exchange).</summary>
    public long EventsFolded => Interlocked.Read(ref _eventsFolded);

    /// <summary>Starts the segment actor; shards start as the consumer assigns partitions to <see cref="Region"/>.</summary>
    /// <param name="region">The node's shard settings.</param>
    /// <param name="model">The model's settings (the same on every node).</param>
    /// <param name="store">Where user state and checkpoints live.</param>
    /// <param name="foldInterval">How often contributed partials are folded into the model (default 500 ms).</param>
    /// <param name="loggers">Logging; none if null.</param>
    /// <param name="catalog">Item indexes to share with the caller; a new one if null.</param>
    /// <param name="exchange">Shares segment statistics with the other nodes (owned by the node from here on); null: a lone node.</param>
    public static NodeActors Start(RegionOptions region, ModelOptions model, IShardStore store, TimeSpan? foldInterval = null,
        ILoggerFactory? loggers = null, ItemCatalog? catalog = null, PartialExchange? exchange = null)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(store);
        return new NodeActors(region, model, store, foldInterval ?? TimeSpan.FromMilliseconds(500), loggers ?? NullLoggerFactory.Instance,
            catalog ?? new ItemCatalog(), exchange);
    }

    /// <summary>This node's item indexes.</summary>
    public ItemCatalog Catalog { get; }

    /// <summary>This node's copy of the global model.</summary>
    public GlobalModel Model { get; }

    /// <summary>The actor system the node's actors run in.</summary>
    public ActorSystem System { get; }

    /// <summary>The segment actor.</summary>
    public ActorRef<SegmentMessage> Segments { get; }

    /// <summary>The shard region: the consumer's listener.</summary>
    public ShardRegion Region { get; }

    /// <summary>Folds whatever has been contributed and returns the resulting snapshot.</summary>
    public Task<ModelSnapshot> FoldAsync(TimeSpan timeout) => Segments.Ask<ModelSnapshot>(reply => new SegmentMessage.FoldNow(reply), timeout);

    /// <summary>Stops every actor (stop the consumer first: its revocation flushes the shards), then the exchange.</summary>
    public async ValueTask DisposeAsync()
    {
        await System.DisposeAsync().ConfigureAwait(false);
        _exchange?.Dispose();
        _arrived?.TryComplete();
        await _decoding.ConfigureAwait(false);
    }
}
