using System.Collections.Concurrent;
using Akka.Actor;
using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>
/// What a node's entities share that is not actor state: the model they read, the item catalog, the feed of
/// records, the resident budget, counters and progress for monitoring. One per node (per ActorSystem).
/// </summary>
public sealed class NodeContext
{
    private readonly ConcurrentDictionary<int, PartitionProgress> _progress = new();
    /// <summary>Credit goes back to the feed in steps of this many events.</summary>
    internal const int GrantStep = 64;
    // One cache line per partition: users of different partitions count on different cores at once. In each, the
    // events its users took, and the count at which its actor asked to be told to drain.
    private const int Stride = 8, DrainAtSlot = 1;
    private readonly long[] _consumed;
    private readonly IActorRef?[] _drainers;
    private long _applied;
    private long _refused;

    /// <summary>A node's shared state.</summary>
    /// <param name="nodeId">The node's id, reported with every answer.</param>
    /// <param name="topic">The events topic (part of each partition's persistence id).</param>
    /// <param name="partitions">Partitions of the events topic: the shard count.</param>
    /// <param name="options">Batching, pacing and bounds.</param>
    /// <param name="model">The node's copy of the global model.</param>
    /// <param name="feed">Where records come from.</param>
    public NodeContext(string nodeId, string topic, int partitions, RuntimeOptions options, GlobalModel model, IPartitionFeed feed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(feed);
        NodeId = nodeId;
        Topic = topic;
        Partitions = partitions;
        Options = options;
        Model = model;
        Feed = feed;
        ItemId = i => Model.Catalog[i];
        Residents = new ResidentBudget(options.MaxResidentUsers);
        _consumed = new long[partitions * Stride];
        _drainers = new IActorRef?[partitions];
        PartitionIds = [.. Enumerable.Range(0, partitions).Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>The node's id.</summary>
    public string NodeId { get; }

    /// <summary>The events topic.</summary>
    public string Topic { get; }

    /// <summary>Partitions of the events topic.</summary>
    public int Partitions { get; }

    /// <summary>Shard ids by partition, made once (Akka's shard ids are strings).</summary>
    internal string[] PartitionIds { get; }

    /// <summary>Batching, pacing and bounds.</summary>
    public RuntimeOptions Options { get; }

    /// <summary>The node's copy of the global model.</summary>
    public GlobalModel Model { get; }

    /// <summary>This node's item indexes.</summary>
    public ItemCatalog Catalog => Model.Catalog;

    /// <summary>An item's id by its index in <see cref="Catalog"/>: one delegate for every user's state, made once.</summary>
    internal Func<int, string> ItemId { get; }

    /// <summary>The model's settings.</summary>
    public ModelOptions ModelOptions => Model.Current.Options;

    /// <summary>Where records come from.</summary>
    public IPartitionFeed Feed { get; }

    /// <summary>What the users have added to the segment model since the model actor last folded.</summary>
    public Contributions Contributions { get; } = new();

    /// <summary>The node's rate-limited log of store failures.</summary>
    public StoreTrouble StoreTrouble { get; } = new();

    /// <summary>Users resident on this node, and the limit.</summary>
    public ResidentBudget Residents { get; }

    /// <summary>The user region (set when the region starts).</summary>
    public IActorRef Region { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The node's model actor, which folds and persists the model with its segment actors (set when it starts).</summary>
    public IActorRef ModelActor { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The node's fusion actors: user entities hand them their rankings.</summary>
    internal IActorRef Fusion { get; set; } = ActorRefs.Nobody;

    /// <summary>
    /// Test hook: returns true to discard a delivery of the event at (user, offset) to its entity, as Akka may during a
    /// hand-off (akka.net #8501). The partition must notice and replay.
    /// </summary>
    public Func<string, long, bool>? DropDelivery { get; set; }

    /// <summary>Events applied on this node (a replayed duplicate is not counted).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Events refused by users whose state could not be read (sent to the dead-letter topic).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>The partitions whose actors run on this node now, with their progress.</summary>
    public IReadOnlyCollection<PartitionProgress> Progress => [.. _progress.Values.OrderBy(p => p.Partition)];

    internal void CountApplied(int events) => Interlocked.Add(ref _applied, events);

    // The users whose entities started here last, for views that show a sample of users (the dashboard's map).
    private readonly string?[] _started = new string?[256];
    private long _startedCount;

    internal void NoteStarted(string userId) => Volatile.Write(ref _started[(Interlocked.Increment(ref _startedCount) - 1) % _started.Length], userId);

    /// <summary>Up to 256 of the users whose entities started on this node most recently (no order promised).</summary>
    public IReadOnlyList<string> RecentlyStartedUsers() => [.. Enumerable.Range(0, _started.Length).Select(i => Volatile.Read(ref _started[i])).OfType<string>().Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// A user took an event of <paramref name="partition"/> (applied, or ignored as a replay): the feed gets the credit
    /// back, in steps of <see cref="GrantStep"/>. A shared counter rather than a message per event keeps the
    /// partition's mailbox for records and commits.
    /// </summary>
    internal void Consumed(int partition, int events)
    {
        var now = Interlocked.Add(ref _consumed[partition * Stride], events);
        var steps = now / GrantStep - (now - events) / GrantStep;
        if (steps > 0) Feed.Grant(partition, (int)(steps * GrantStep));
        var at = Volatile.Read(ref _consumed[partition * Stride + DrainAtSlot]);
        if (now >= at && now - events < at) _drainers[partition]?.Tell(PartitionMessage.Drain.Instance);
    }

    /// <summary>Events of <paramref name="partition"/> its users have taken on this node, in all.</summary>
    internal long ConsumedOf(int partition) => Interlocked.Read(ref _consumed[partition * Stride]);

    /// <summary>
    /// Tells <paramref name="actor"/> <see cref="PartitionMessage.Drain"/> when the users of <paramref name="partition"/>
    /// have taken <paramref name="consumed"/> events in all; returns false, telling nothing, if they already have.
    /// </summary>
    internal bool DrainWhen(int partition, IActorRef actor, long consumed)
    {
        _drainers[partition] = actor;
        // A full fence on both sides: either this sees the users' count, or the user that crosses it sees the target.
        Interlocked.Exchange(ref _consumed[partition * Stride + DrainAtSlot], consumed);
        return ConsumedOf(partition) < consumed;
    }

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    internal void Report(PartitionProgress progress) => _progress[progress.Partition] = progress;

    internal void Forget(int partition) => _progress.TryRemove(partition, out _);
}
