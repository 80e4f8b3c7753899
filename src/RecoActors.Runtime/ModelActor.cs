using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// Keeps the node's model: every fold interval it takes what the users contributed and folds that into the
/// <see cref="GlobalModel"/> with one <see cref="SegmentActor"/> per segment, publishing a new snapshot that users
/// and rankings read.
/// </summary>
/// <remarks>
/// A fold runs in steps (<see cref="GlobalModel.Apply"/> names them): this actor folds what the segments share, the
/// segment actors fold their parts at once, this actor re-seeds dying segments (the one place that sees every
/// segment's weight, so a split is decided once, between steps, with no race) and moves the model's time, the
/// segment actors rank their items, and this actor publishes the snapshot. Batches that arrive meanwhile wait, in
/// order. Across nodes (<paramref name="publish"/> given) the merged partial is published instead of folded, and
/// the model folds only what comes back from the exchange (<see cref="ModelCommand.Exchanged"/>), which delivers
/// every node's partials to every node in one order, so every node's model is the same. With
/// <paramref name="snapshots"/>, the cluster's oldest node persists the model and its place in the exchange every
/// interval it changed, so a node that starts later, or a cluster restarted from cold, loads it and reads only the
/// exchange's tail. Every node's model is the same at one place, so one writer is enough, and whichever node is
/// oldest at the time writes.
/// </remarks>
/// <param name="model">The node's model.</param>
/// <param name="contributions">What the node's users contribute; null when it folds only what the exchange delivers.</param>
/// <param name="foldInterval">How long contributions gather before they are folded (or published).</param>
/// <param name="publish">Sends a merged partial to every node; null folds locally (one node).</param>
/// <param name="folded">Told the number of events in each partial folded.</param>
/// <param name="snapshots">Where and how often to persist the model; null never persists it.</param>
/// <param name="saved">Told each checkpoint the store confirmed.</param>
public sealed class ModelActor(GlobalModel model, Contributions? contributions, TimeSpan foldInterval, Action<ModelPartial>? publish = null,
    Action<long>? folded = null, ModelSnapshots? snapshots = null, Action<ModelCheckpoint>? saved = null)
    : UntypedActor, IWithTimers
{
    private const string FoldTimer = "fold", SnapshotTimer = "snapshot";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<Batch> _queue = new();
    private readonly List<IActorRef> _askers = [];
    private IActorRef[] _segments = [];
    private FoldUnderWay? _fold;
    private bool _snapshotDue;
    private ExchangePosition? _position, _saved;
    private ModelCheckpoint? _pending;
    // Where each save writes the state first, kept for the next (ModelCheckpoint.Write).
    private readonly MemoryStream _state = new();
    private IActorRef _store = ActorRefs.Nobody;
    private bool _failing;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The dispatcher the model and segment actors run on (<see cref="DispatcherHocon"/> defines it).</summary>
    public const string Dispatcher = "akka.reco-fold-dispatcher";

    /// <summary>
    /// The definition of <see cref="Dispatcher"/>: background threads (<see cref="BackgroundExecutor"/>), off the pool
    /// requests use, and one fewer than the cores (at least one), so that a fold always leaves a core to the requests.
    /// </summary>
    public static string DispatcherHocon => BackgroundExecutor.Dispatcher(Dispatcher, Math.Max(1, Environment.ProcessorCount - 1));

    /// <summary>Props for the node's model actor, on the folds' threads (<see cref="Dispatcher"/>).</summary>
    public static Props Props(GlobalModel model, Contributions? contributions, TimeSpan foldInterval, Action<ModelPartial>? publish = null,
        Action<long>? folded = null, ModelSnapshots? snapshots = null, Action<ModelCheckpoint>? saved = null) =>
        Akka.Actor.Props.Create(() => new ModelActor(model, contributions, foldInterval, publish, folded, snapshots, saved)).WithDispatcher(Dispatcher);

    /// <inheritdoc />
    /// <remarks>
    /// A fold takes tens of milliseconds of a core, and more when the core is shared: on the thread pool it held a
    /// thread that requests queued behind. On threads of their own, one fewer than the cores, folds leave the pool and a
    /// core to the requests and the users (a thread per segment took every core at each fold). And those threads run at
    /// a lower priority (<see cref="BackgroundExecutor"/>): on a shared core, the threads a request wakes (remoting's event loops,
    /// the pool) waited behind a fold for a few milliseconds; now they take the core from it at once.
    /// </remarks>
    protected override void PreStart()
    {
        _segments = [.. model.Segments.Select(segment => Context.ActorOf(SegmentActor.Props(segment), $"segment-{segment.Index}"))];
        if (contributions is not null) Timers.StartPeriodicTimer(FoldTimer, ModelCommand.Fold.Instance, foldInterval);
        if (snapshots is null) return;
        _store = ModelSnapshots.Store(Context.System);
        Timers.StartPeriodicTimer(SnapshotTimer, ModelCommand.Snapshot.Instance, snapshots.Interval);
    }

    /// <inheritdoc />
    /// <remarks>A segment's failure is a bug in the model's maths: this actor fails with it rather than wait for an answer that will not come.</remarks>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ModelCommand.Fold:
                TakePending();
                break;
            case ModelCommand.Exchanged exchanged:
                _queue.Enqueue(new Batch(exchanged.Partial, exchanged.Position, Recycle: false));
                FoldNext();
                break;
            case ModelCommand.FoldNow:
                TakePending();
                _askers.Add(Sender);
                FoldNext();
                break;
            case SegmentCommand.Folded folded when _fold is { } fold && folded.Version == fold.Version:
                if (--fold.Waiting > 0) break;
                // Every segment has folded its part: now the steps that see them all, then every segment ranks.
                var ranking = model.SettleFold(fold.Batch.Partial);
                fold.Waiting = _segments.Length;
                foreach (var segment in _segments) segment.Tell(new SegmentCommand.Rank(fold.Version, ranking));
                break;
            case SegmentCommand.Ranked ranked when _fold is { } fold && ranked.Version == fold.Version:
                fold.Tops[ranked.Segment] = ranked.Top;
                if (--fold.Waiting > 0) break;
                model.PublishFold(fold.Tops);
                _fold = null;
                Done(fold.Batch);
                FoldNext();
                break;
            case ModelCommand.Snapshot:
                // The model's state is whole only between folds.
                if (_fold is null) SaveIfOldest();
                else _snapshotDue = true;
                break;
            case SaveSnapshotSuccess:
                _saved = new ExchangePosition(_pending!.Completed, _pending.Resume);
                saved?.Invoke(_pending);
                (_pending, _failing) = (null, false);
                break;
            case SaveSnapshotFailure failure:
                _pending = null;
                // Once per run of failures: the store's outage is reported where it hurts more (the partitions).
                if (!_failing) _log.Warning("Saving the model snapshot failed ({0}); it is tried again every {1}", failure.Cause.Message, snapshots!.Interval);
                _failing = true;
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>What was contributed since the last fold is not lost on a graceful stop: published, with an exchange (a lone node's model is not kept).</summary>
    protected override void PostStop()
    {
        if (publish is not null) TakePending();
    }

    /// <summary>Takes what the users contributed: published to the exchange, or (one node) queued to fold.</summary>
    private void TakePending()
    {
        // A lone thread's partial is folded as it is, so one stream folding every N events matches the single-stream loop bit for bit.
        if (contributions?.TakeAll(model.Current.Options.ModelHalfLifeMs) is not { } taken) return;
        if (publish is null)
        {
            _queue.Enqueue(new Batch(taken, null, Recycle: true));
            FoldNext();
            return;
        }
        publish(taken);
        contributions.Recycle(taken);
    }

    /// <summary>Starts folding the next batch that waits, if no fold is under way; answers whoever asked once none waits.</summary>
    private void FoldNext()
    {
        while (_fold is null && _queue.TryDequeue(out var batch))
        {
            if (model.BeginFold(batch.Partial) is not { } step)
            {
                Done(batch);
                continue;
            }
            _fold = new FoldUnderWay(model.Current.Version + 1, batch, new SegmentModel[_segments.Length]) { Waiting = _segments.Length };
            foreach (var segment in _segments) segment.Tell(new SegmentCommand.Fold(_fold.Version, step, batch.Partial));
        }
        if (_fold is not null) return;
        foreach (var asker in _askers) asker.Tell(model.Current);
        _askers.Clear();
        if (!_snapshotDue) return;
        _snapshotDue = false;
        SaveIfOldest();
    }

    private void Done(Batch batch)
    {
        folded?.Invoke(batch.Partial.Events);
        _position = batch.Position ?? _position;
        if (batch.Recycle) contributions!.Recycle(batch.Partial);
    }

    /// <summary>A batch to fold: where the model stands in the exchange after it (null: not from the exchange), and whether it goes back to the contributions' pool.</summary>
    private sealed record Batch(ModelPartial Partial, ExchangePosition? Position, bool Recycle);

    /// <summary>The fold under way: the version it makes, its batch, the segments' models so far, and how many segments have yet to answer this step.</summary>
    private sealed record FoldUnderWay(long Version, Batch Batch, SegmentModel[] Tops)
    {
        public int Waiting { get; set; }
    }

    private void SaveIfOldest()
    {
        if (_pending is not null || _position is not { } position || position == _saved || !IsOldestNode()) return;
        // One row, replaced each time: the store keeps (persistence id, sequence number) unique, and this is always 0.
        _pending = ModelCheckpoint.Write(model.Current.Version, position.Completed, position.Resume, _state, model.Save);
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
}
