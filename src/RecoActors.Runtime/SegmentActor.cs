using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// Keeps the node's segment models: every fold interval it takes what the users contributed and folds that into the
/// <see cref="GlobalModel"/>, publishing a new snapshot that users and rankings read.
/// </summary>
/// <remarks>
/// Across nodes (<paramref name="publish"/> given) the merged partial is published instead of folded, and the model
/// folds only what comes back from the exchange (<see cref="SegmentCommand.Exchanged"/>), which delivers every
/// node's partials to every node in one order, so every node's model is the same. Folding here, not on a
/// partition's thread, is what lets a node use a second core: a fold costs milliseconds, an event a microsecond.
/// With <paramref name="snapshots"/>, the cluster's oldest node persists the model and its place in the exchange
/// every interval it changed, so a node that starts later, or a cluster restarted from cold, loads it and reads
/// only the exchange's tail. Every node's model is the same at one place, so one writer is enough, and whichever
/// node is oldest at the time writes.
/// </remarks>
/// <param name="model">The node's model.</param>
/// <param name="contributions">What the node's users contribute; null when it folds only what the exchange delivers.</param>
/// <param name="foldInterval">How long contributions gather before they are folded (or published).</param>
/// <param name="publish">Sends a merged partial to every node; null folds locally (one node).</param>
/// <param name="folded">Told the number of events in each partial folded.</param>
/// <param name="snapshots">Where and how often to persist the model; null never persists it.</param>
/// <param name="saved">Told each checkpoint the store confirmed.</param>
public sealed class SegmentActor(GlobalModel model, Contributions? contributions, TimeSpan foldInterval, Action<ModelPartial>? publish = null,
    Action<long>? folded = null, ModelSnapshots? snapshots = null, Action<ModelCheckpoint>? saved = null)
    : UntypedActor, IWithTimers
{
    private const string FoldTimer = "fold", SnapshotTimer = "snapshot";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ExchangePosition? _position, _saved;
    private ModelCheckpoint? _pending;
    private ExchangePosition? _pendingAt;
    private IActorRef _store = ActorRefs.Nobody;
    private bool _failing;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The dispatcher the segment actor runs on: a thread of its own (<see cref="RuntimeConfig"/> defines it).</summary>
    public const string Dispatcher = "akka.reco-fold-dispatcher";

    /// <summary>Props for the node's segment actor, on a thread of its own (<see cref="Dispatcher"/>).</summary>
    public static Props Props(GlobalModel model, Contributions? contributions, TimeSpan foldInterval, Action<ModelPartial>? publish = null,
        Action<long>? folded = null, ModelSnapshots? snapshots = null, Action<ModelCheckpoint>? saved = null) =>
        Akka.Actor.Props.Create(() => new SegmentActor(model, contributions, foldInterval, publish, folded, snapshots, saved)).WithDispatcher(Dispatcher);

    /// <inheritdoc />
    /// <remarks>
    /// A fold takes tens of milliseconds of a core, and more when the core is shared: on the thread pool it held a
    /// thread that requests queued behind, and it took its full share of the core from the requests' threads (the
    /// recommendations' p99 over HTTP followed the folds). On a thread of its own at a lower priority it takes what
    /// the requests and the users leave, and a fold only comes later under load.
    /// </remarks>
    protected override void PreStart()
    {
        if (!BackgroundThread.Lower()) _log.Debug("The model's folds run at normal priority (this platform does not let a thread lower its own)");
        if (contributions is not null) Timers.StartPeriodicTimer(FoldTimer, SegmentCommand.Fold.Instance, foldInterval);
        if (snapshots is null) return;
        _store = Persistence.Instance.Apply(Context.System).SnapshotStoreFor(null);
        Timers.StartPeriodicTimer(SnapshotTimer, SegmentCommand.Snapshot.Instance, snapshots.Interval);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SegmentCommand.Fold:
                FoldPending();
                break;
            case SegmentCommand.Exchanged exchanged:
                Apply(exchanged.Partial);
                _position = exchanged.Position ?? _position;
                break;
            case SegmentCommand.FoldNow:
                FoldPending();
                Sender.Tell(model.Current);
                break;
            case SegmentCommand.Snapshot:
                SaveIfOldest();
                break;
            case SaveSnapshotSuccess:
                _saved = _pendingAt;
                saved?.Invoke(_pending!);
                (_pending, _pendingAt, _failing) = (null, null, false);
                break;
            case SaveSnapshotFailure failure:
                (_pending, _pendingAt) = (null, null);
                // Once per run of failures: the store's outage is reported where it hurts more (the partitions).
                if (!_failing) _log.Warning("Saving the model snapshot failed ({0}); it is tried again every {1}", failure.Cause.Message, snapshots!.Interval);
                _failing = true;
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>What was contributed since the last fold is not lost on a graceful stop.</summary>
    protected override void PostStop() => FoldPending();

    private void SaveIfOldest()
    {
        if (_pending is not null || _position is not { } position || position == _saved || !IsOldestNode()) return;
        // One row, replaced each time: the store keeps (persistence id, sequence number) unique, and this is always 0.
        (_pending, _pendingAt) = (new ModelCheckpoint(model.Current.Version, position.Completed, position.Resume, model.Save()), position);
        _store.Tell(new SaveSnapshot(new SnapshotMetadata(snapshots!.PersistenceId, 0, DateTime.UtcNow), _pending), Self);
    }

    private bool IsOldestNode()
    {
        var cluster = Cluster.Get(Context.System);
        Member? oldest = null;
        foreach (var member in cluster.State.Members)
            if (member.Status == MemberStatus.Up && member.HasRole(ClusterConfig.NodeRole) && (oldest is null || member.IsOlderThan(oldest)))
                oldest = member;
        return oldest?.Address == cluster.SelfAddress;
    }

    private void FoldPending()
    {
        // A lone thread's partial is folded as it is, so one stream folding every N events matches the single-stream loop bit for bit.
        if (contributions?.TakeAll(model.Current.Options.ModelHalfLifeMs) is not { } taken) return;
        if (publish is null) Apply(taken);
        else publish(taken);
        contributions.Recycle(taken);
    }

    private void Apply(ModelPartial partial)
    {
        model.Apply(partial);
        folded?.Invoke(partial.Events);
    }
}
