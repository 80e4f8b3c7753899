using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;

namespace RecoActors.Runtime;

/// <summary>
/// One Kafka partition on this node, as the reserved entity of its shard: reads the partition from its checkpoint,
/// sends each event to its user's entity, and makes the users' states durable together with the checkpoint.
/// </summary>
/// <remarks>
/// <code>
///   Recovering ──RecoveryCompleted──► Running ──StopEntity (hand-off)──► HandingOff ──persisted──► stopped
/// </code>
/// State granularity: a partition persists its users' states as one journal event per commit (and a snapshot
/// of all of them now and then) under one persistence id, instead of one persistent actor per user. Journaling
/// every event through Akka.Persistence.Sql runs at 2k–25k events/s here, and recovering users one by one at
/// 400–1,000 per second; one write per commit and one recovery per partition keep both off the ingest path and make
/// a take-over cost a dozen recoveries, not tens of thousands. Users' entities load their state from here.
/// <para>
/// Commit order (as Kafka Streams' StreamTask documents it), every <see cref="RuntimeOptions.CommitInterval"/>:
/// (1) note the position P and ask every user sent to since the last commit for its state (the request follows
/// that user's events, so the answer covers all it was sent below P); (2) persist those states and the checkpoint
/// P in one journal event, so the checkpoint is never ahead of the state it covers; (3) report P to Kafka
/// (monitoring only).
/// </para>
/// <para>
/// Loss: an event reaches its user as <c>(offset, previous offset sent to this user)</c>, so a user notices a missing
/// predecessor (<see cref="PartitionMessage.Gap"/>), and an answer to (1) that holds less than was sent shows a lost
/// tail. Either makes the partition replay from its checkpoint; users ignore offsets they already applied, so a
/// replay changes nothing but what was lost (akka.net #8501: messages dropped during a hand-off).
/// </para>
/// <para>
/// Order: everything this actor tells its users goes through its own shard (its parent), one path, so Akka's order
/// per sender and receiver holds end to end, and a passivating user's messages wait in the shard. Sending straight
/// to a loaded entity's ref would be a second, shorter path: a message on it overtook the ones sent before the entity
/// had loaded, still queued in the shard (seen under load as gaps, answers short of what was sent, and replays).
/// </para>
/// <para>
/// Flow: users give the feed back one credit per event they take (<see cref="NodeContext.Consumed"/>), so the
/// records between the feed and the users stay within <see cref="RuntimeOptions.MaxInFlight"/> without an
/// acknowledgement message per event.
/// </para>
/// </remarks>
internal sealed class PartitionActor : UntypedPersistentActor, IWithTimers
{
    private const string CommitTimer = "commit", CheckTimer = "check", HandOffTimer = "hand-off";
    private readonly int _partition;
    private readonly NodeContext _node;
    private readonly RuntimeOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Durable state: every user's last state (persisted, or received and waiting for the next commit) and the checkpoint.
    private readonly Dictionary<string, UserRecord> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserRecord> _pending = new(StringComparer.Ordinal);
    private long _checkpoint;
    private long _savedSinceSnapshot;

    // Reading: records held back for room, the last offset sent to each user since it was last durable, and how far
    // each user's received state goes.
    private readonly Queue<FeedRecord> _backlog = new();
    private readonly Dictionary<string, long> _lastSent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _coveredTo = new(StringComparer.Ordinal);
    private HashSet<string> _sentSinceCommit = new(StringComparer.Ordinal);
    // One drain's records and how many each user gets: they go out grouped by user, as slices of one array.
    private readonly List<FeedRecord> _draining = [];
    private readonly Dictionary<string, (int Count, int Start)> _outgoing = new(StringComparer.Ordinal);
    private long _generation;
    private long _position;
    private int _epoch;
    private bool _drainAsked;
    // Events sent to users, counted as NodeContext.Consumed counts what they took: the difference is their work in
    // hand. Reset to their count on a replay, as events lost on the way are never taken.
    private long _sent;

    // Resident users, and this partition's share of the node's limit (recomputed on the check tick).
    private readonly ResidentSet _residents;
    private int _share = 1;

    // The commit under way: the users asked and what each must hold, and the checkpoint their answers cover.
    private long _cycle;
    private Dictionary<string, long>? _awaiting;
    private long _cycleCheckpoint;
    private long _cycleStartedAt;
    private bool _persisting;
    private bool _handingOff;
    private bool _finishing;

    /// <summary>The actor of the partition its shard stands for (the shard actor is named by its id, the partition number).</summary>
    public PartitionActor(NodeContext node)
    {
        _partition = int.Parse(Context.Parent.Path.Name, System.Globalization.CultureInfo.InvariantCulture);
        _node = node;
        _options = node.Options;
        _residents = new ResidentSet(node.Residents);
        PersistenceId = $"partition-{node.Topic}-{_partition}";
    }

    /// <summary>Props for a shard's partition actor.</summary>
    public static Props Props(NodeContext node) => Akka.Actor.Props.Create(() => new PartitionActor(node));

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PostStop()
    {
        _residents.Clear();
        _node.Feed.Close(_partition, _generation);
        _node.Forget(_partition);
        base.PostStop();
    }

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: PartitionSnapshot snapshot }:
                _users.Clear();
                foreach (var user in snapshot.Users) _users[user.UserId] = user;
                _checkpoint = snapshot.NextOffset;
                break;
            case PartitionCommitted committed:
                foreach (var user in committed.Users) _users[user.UserId] = user;
                _checkpoint = committed.NextOffset;
                _savedSinceSnapshot += committed.Users.Length;
                break;
            case RecoveryCompleted:
                _node.StoreTrouble.Succeeded();
                _position = _checkpoint;
                // Users still running from an actor of this partition that stopped on a failure are adopted before
                // reading starts: asked later, the answer would list users this actor has started and stopped since.
                // Longer than the region's own query timeout (3 s), after which it answers with the shards it missed.
                _node.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, _options.CommitTimeout * 2)
                    .PipeTo(Self, failure: ex => new Status.Failure(ex));
                break;
        }
    }

    /// <summary>Running: reading, sending, committing.</summary>
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case PartitionMessage.Records records:
                if (records.Generation != _generation) break;
                foreach (var record in records.Items) _backlog.Enqueue(record);
                if (!_drainAsked) AskDrain();
                break;
            case PartitionMessage.Drain:
                Drain();
                break;
            case PartitionMessage.Gap gap:
                if (gap.Epoch == _epoch) Replay($"user '{gap.UserId}' missed an event after offset {gap.LastApplied}");
                break;
            case PartitionMessage.Refused refused:
                if (refused.Epoch == _epoch) OnRefused(refused);
                break;
            case PartitionMessage.Load load:
                OnLoad(load.UserId);
                break;
            case PartitionMessage.Flushed flushed:
                // A user that answers is running: one this actor has not seen load (it ran before this actor restarted,
                // or took its first message here as a running entity) is resident from now on, and no longer starting.
                _residents.Loaded(flushed.UserId, Environment.TickCount64);
                OnState(flushed.UserId, flushed.LastApplied, flushed.State);
                if (flushed.Cycle == _cycle) Answered(flushed.UserId, flushed.LastApplied);
                break;
            case CurrentShardRegionState region when _generation == 0:
                foreach (var user in region.Shards.Where(s => s.ShardId == _node.PartitionIds[_partition]).SelectMany(s => s.EntityIds))
                    if (user != UserMessageExtractor.PartitionEntityId && !_residents.Holds(user))
                        Context.Parent.Tell(new UserCommand.Flush(user, _partition, 0));
                StartReading();
                break;
            case Status.Failure failure when _generation == 0:
                // Not knowing the leftovers is no reason not to read: those that get events again are adopted when they answer a commit.
                _log.Warning("Partition {0}: the region did not list its users ({1}); reading without adopting any", _partition, failure.Cause.Message);
                StartReading();
                break;
            case PartitionMessage.Stopped stopped:
                OnStopped(stopped);
                Answered(stopped.UserId, stopped.LastApplied);
                if (_backlog.Count > 0) Drain();
                break;
            case PartitionMessage.CommitTick:
                StartCommit();
                break;
            case PartitionMessage.Check:
                Check();
                break;
            case WakePartition:
                break;
            case StopEntity:
                BeginHandOff();
                break;
            default:
                OnBookkeeping(message);
                break;
        }
    }

    private void StartReading()
    {
        _share = Math.Max(1, _node.Residents.Limit / (_node.Progress.Count + 1));
        _sent = _node.ConsumedOf(_partition);
        _generation = _node.Feed.Open(_partition, _checkpoint, Self, _options.MaxInFlight);
        Timers.StartPeriodicTimer(CommitTimer, PartitionMessage.CommitTick.Instance, _options.CommitInterval);
        Timers.StartPeriodicTimer(CheckTimer, PartitionMessage.Check.Instance, _options.CommitTimeout / 2);
        _log.Info("Partition {0} started at offset {1} with {2} users", _partition, _checkpoint, _users.Count);
        Report();
    }

    /// <summary>
    /// Handing off: reading has stopped; the shard has told every user to stop, and each leaves its last state here.
    /// Once they all have (or the deadline passes), the states and the checkpoint they cover are persisted.
    /// </summary>
    private void HandingOff(object message)
    {
        switch (message)
        {
            case PartitionMessage.Refused refused:
                if (refused.Epoch == _epoch) OnRefused(refused);
                break;
            case PartitionMessage.Flushed flushed:
                OnState(flushed.UserId, flushed.LastApplied, flushed.State);
                break;
            case PartitionMessage.Stopped stopped:
                OnStopped(stopped);
                if (_residents.Count == 0) FinishHandOff();
                break;
            case PartitionMessage.Load load:
                OnLoad(load.UserId);
                break;
            case PartitionMessage.HandOffDeadline:
                _log.Warning("Partition {0}: {1} users did not leave their state within {2}; persisting what arrived (the checkpoint stays below their events)",
                    _partition, _residents.Count, _options.HandOffTimeout);
                FinishHandOff();
                break;
            case PartitionMessage.Records or PartitionMessage.Drain or PartitionMessage.Gap or PartitionMessage.CommitTick or PartitionMessage.Check or WakePartition or StopEntity:
                break;
            default:
                OnBookkeeping(message);
                break;
        }
    }

    /// <summary>Work in hand at which the users count as busy: a quarter of the window, so a held batch can grow to three quarters.</summary>
    private int Busy => _options.MaxInFlight / 4;

    /// <summary>
    /// Asks for a drain: at once if the users have little left to apply, else when they are down to
    /// <see cref="Busy"/> events. Either way after the records already queued behind this batch are in, so a burst is
    /// grouped by user. Sent while the users are busy, small batches would only queue behind their work, as many
    /// small messages; held, they go out as fewer, larger ones (Nagle's rule). Idle users get records at once.
    /// </summary>
    private void AskDrain()
    {
        _drainAsked = true;
        if (_sent - _node.ConsumedOf(_partition) <= Busy || !_node.DrainWhen(_partition, Self, _sent - Busy))
            Self.Tell(PartitionMessage.Drain.Instance);
    }

    /// <summary>
    /// Sends what was read, in order, to the users' entities. A record for a user who is not resident waits while this
    /// partition holds its share of the node's resident limit: it first asks its least recently used users to
    /// passivate, and carries on as they stop. So the limit bounds the entities, not just a count.
    /// </summary>
    private void Drain()
    {
        _drainAsked = false;
        var skipped = 0;
        while (_backlog.TryPeek(out var record))
        {
            var (offset, ev) = record;
            if (ev is not null && !MakeRoomFor(ev.UserId)) break;
            _backlog.Dequeue();
            if (offset < _position) continue;
            _position = offset + 1;
            if (ev is null)
            {
                skipped++;
                continue;
            }
            _draining.Add(record);
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_outgoing, ev.UserId, out _);
            slot.Count++;
        }
        if (skipped > 0) _node.Feed.Grant(_partition, skipped);
        if (_draining.Count > 0) Send();
        if (_sentSinceCommit.Count >= _options.CommitEvery) StartCommit();
    }

    /// <summary>Sends each user its records of this drain, in offset order, in one message (a slice of one array for all).</summary>
    private void Send()
    {
        var all = new FeedRecord[_draining.Count];
        var start = 0;
        foreach (var (user, (count, _)) in _outgoing)
        {
            _outgoing[user] = (0, start);
            start += count;
        }
        foreach (var record in _draining)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(_outgoing, record.Event!.UserId);
            all[slot.Start + slot.Count++] = record;
        }
        var now = Environment.TickCount64;
        foreach (var (user, (count, first)) in _outgoing)
        {
            var events = new ArraySegment<FeedRecord>(all, first, count);
            var previous = _lastSent.TryGetValue(user, out var p) ? p : -1;
            _lastSent[user] = events[^1].Offset;
            _sentSinceCommit.Add(user);
            _residents.Touch(user, now);
            Context.Parent.Tell(new UserCommand.Apply(user, _partition, previous, _epoch, events));
        }
        _sent += _draining.Count;
        _outgoing.Clear();
        _draining.Clear();
    }

    /// <summary>
    /// Whether <paramref name="userId"/> may get a message now: it is resident (not passivating) or starting, or there is room for it
    /// within this partition's share and the node's limit. Without room, enough least recently used users are asked
    /// to passivate (a sixteenth of the share at least, so room comes in batches, not one round trip per user).
    /// </summary>
    private bool MakeRoomFor(string userId)
    {
        // A message now would reach the shard while the user passivates, and the shard would start it again outside
        // the budget: wait until it has stopped (its Stopped drains the backlog again).
        if (_residents.IsEvicting(userId)) return false;
        if (_residents.Holds(userId)) return true;
        var taken = _residents.Count + _residents.Starting;
        var room = Math.Min(_share - taken, _node.Residents.Room);
        if (room > 0)
        {
            _residents.Start(userId);
            return true;
        }
        var needed = 1 - room - _residents.Evicting;
        if (needed > 0) Evict(_residents.Evict(Math.Max(needed, _share / 16)));
        return false;
    }

    private void Evict(List<string> users)
    {
        foreach (var user in users) Context.Parent.Tell(new UserCommand.Evict(user, _partition));
    }

    private void OnRefused(PartitionMessage.Refused refused)
    {
        _node.Feed.DeadLetter(_partition, refused.Offset, refused.Event, "unreadable-state", refused.Reason);
        _node.CountRefused();
        _node.Feed.Grant(_partition, 1);
    }

    private void OnLoad(string userId)
    {
        Sender.Tell(new Loaded(_users.GetValueOrDefault(userId)));
        _node.NoteStarted(userId);
        // A user started by a read rather than by an event counts against the share too.
        if (_residents.Loaded(userId, Environment.TickCount64))
            Evict(_residents.Evict(_residents.Count + _residents.Starting - _share - _residents.Evicting, except: userId));
        if (_backlog.Count > 0 && !_handingOff) Drain();
    }

    private void OnStopped(PartitionMessage.Stopped stopped)
    {
        OnState(stopped.UserId, stopped.LastApplied, stopped.State);
        _residents.Stopped(stopped.UserId);
    }

    /// <summary>A user's state (or word that it is unchanged) arrived: keep it for the next commit.</summary>
    private void OnState(string userId, long lastApplied, UserRecord? state)
    {
        if (state is not null)
        {
            _users[userId] = state;
            _pending[userId] = state;
        }
        _coveredTo[userId] = Math.Max(_coveredTo.GetValueOrDefault(userId, -1), lastApplied);
    }

    /// <summary>Step (1) of a commit: note the position and ask every user sent to since the last commit for its state.</summary>
    private void StartCommit()
    {
        if (_awaiting is not null || _persisting) return;
        _cycle++;
        _cycleStartedAt = Environment.TickCount64;
        _cycleCheckpoint = _position;
        _awaiting = new Dictionary<string, long>(_sentSinceCommit.Count, StringComparer.Ordinal);
        foreach (var user in _sentSinceCommit)
        {
            var sent = _lastSent.GetValueOrDefault(user, -1);
            // A user that stopped since, leaving a state that holds all it was sent, has answered already.
            if (!_residents.Holds(user) && _coveredTo.GetValueOrDefault(user, -1) >= sent) continue;
            _awaiting[user] = sent;
        }
        _sentSinceCommit = new HashSet<string>(StringComparer.Ordinal);
        if (_awaiting.Count == 0)
        {
            Persist(_cycleCheckpoint);
            return;
        }
        foreach (var user in _awaiting.Keys)
        {
            // A passivating user answers with its Stopped; a Flush would start it again outside the budget.
            if (_residents.IsEvicting(user)) continue;
            Context.Parent.Tell(new UserCommand.Flush(user, _partition, _cycle));
        }
    }

    /// <summary>A user answered the commit under way (or stopped): its state must hold everything it was sent.</summary>
    private void Answered(string userId, long lastApplied)
    {
        if (_awaiting is null || !_awaiting.Remove(userId, out var expected)) return;
        if (lastApplied < expected)
        {
            Replay($"user '{userId}' holds offset {lastApplied} but was sent {expected}");
            return;
        }
        if (_awaiting.Count == 0) Persist(_cycleCheckpoint);
    }

    /// <summary>Steps (2) and (3): persist the states received and the checkpoint they cover, then report it.</summary>
    private void Persist(long checkpoint)
    {
        _awaiting = null;
        if (_pending.Count == 0 && checkpoint <= _checkpoint)
        {
            if (_finishing) Stop();
            return;
        }
        var users = _pending.Values.ToArray();
        _pending.Clear();
        _persisting = true;
        PersistAsync(new PartitionCommitted(Math.Max(checkpoint, _checkpoint), users), committed =>
        {
            _persisting = false;
            _node.StoreTrouble.Succeeded();
            _checkpoint = committed.NextOffset;
            // A user whose last event sent is below the checkpoint is durable: its next event needs no predecessor.
            foreach (var (user, _) in _lastSent.Where(s => s.Value < _checkpoint).ToList())
            {
                _lastSent.Remove(user);
                _coveredTo.Remove(user);
            }
            _node.Feed.Committed(_partition, _checkpoint);
            _savedSinceSnapshot += users.Length;
            if (_savedSinceSnapshot >= Math.Max(1_000, _users.Count)) SaveSnapshot(new PartitionSnapshot(_checkpoint, [.. _users.Values]));
            Report(running: !_handingOff);
            if (_finishing) FinishHandOff(again: true);
        });
    }

    /// <summary>Replays from the checkpoint after a loss: users ignore what they already applied.</summary>
    private void Replay(string reason)
    {
        _log.Info("Partition {0} replays from offset {1}: {2}", _partition, _checkpoint, reason);
        _epoch++;
        _awaiting = null;
        _lastSent.Clear();
        _coveredTo.Clear();
        _sentSinceCommit.Clear();
        _backlog.Clear();
        _position = _checkpoint;
        _sent = _node.ConsumedOf(_partition);
        _generation = _node.Feed.Seek(_partition, _checkpoint, _options.MaxInFlight);
        Report();
    }

    private void Check()
    {
        var now = Environment.TickCount64;
        _share = Math.Max(1, _node.Residents.Limit / Math.Max(1, _node.Progress.Count));
        if (_awaiting is not null && now - _cycleStartedAt > _options.CommitTimeout.TotalMilliseconds)
        {
            // An answer is late (a user with a long queue) or lost: ask those users again in the next commit.
            _log.Info("Partition {0}: {1} users did not answer commit {2} within {3}; asking again", _partition, _awaiting.Count, _cycle, _options.CommitTimeout);
            _sentSinceCommit.UnionWith(_awaiting.Keys);
            _awaiting = null;
        }
        if (_backlog.Count > 0) Drain();
        // Partitions that joined this node since shrink every share: give back what is over; and passivate the idle.
        Evict(_residents.Evict(_residents.Count - _share));
        Evict(_residents.Idle(now - (long)_options.PassivateAfter.TotalMilliseconds));
        Report();
    }

    private void BeginHandOff()
    {
        _node.Feed.Close(_partition, _generation);
        Timers.CancelAll();
        _handingOff = true;
        _awaiting = null;
        Become(HandingOff);
        Report(running: false);
        if (_residents.Count == 0) FinishHandOff();
        else Timers.StartSingleTimer(HandOffTimer, PartitionMessage.HandOffDeadline.Instance, _options.HandOffTimeout);
    }

    /// <summary>
    /// Persists what the users left (after a commit under way, if any), then stops. The checkpoint moves to the
    /// position only if every user sent to since the last commit left a state that holds all it was sent.
    /// </summary>
    private void FinishHandOff(bool again = false)
    {
        if (_finishing && !again) return;
        _finishing = true;
        Timers.Cancel(HandOffTimer);
        if (_persisting) return;
        var covered = _lastSent.All(s => s.Value < _checkpoint || _coveredTo.GetValueOrDefault(s.Key, -1) >= s.Value);
        Persist(covered ? _position : _checkpoint);
    }

    private void Stop()
    {
        _log.Info("Partition {0} handed off at offset {1}", _partition, _checkpoint);
        Context.Stop(Self);
    }

    /// <summary>Snapshots and journal clean-up: the snapshot makes the events before it unnecessary.</summary>
    private void OnBookkeeping(object message)
    {
        switch (message)
        {
            case SaveSnapshotSuccess saved:
                _savedSinceSnapshot = 0;
                DeleteMessages(saved.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failed:
                _log.Warning("Partition {0}: snapshot failed ({1}); the journal keeps the events", _partition, failed.Cause.Message);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure or DeleteSnapshotsFailure:
                _log.Warning("Partition {0}: cleaning up the journal failed; it is retried after the next snapshot", _partition);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr) =>
        _node.StoreTrouble.Report(_log, $"Partition {_partition} could not persist a commit (it restarts from offset {_checkpoint}; nothing is lost)", cause);

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Partition {0}: the journal rejected a commit of {1} users; the partition restarts from offset {2}", _partition,
            (@event as PartitionCommitted)?.Users.Length ?? 0, _checkpoint);
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        if (reason is System.Runtime.Serialization.SerializationException)
            _log.Error(reason, "Partition {0} cannot recover: a stored record does not decode ({1}). It is left as it is; fix or remove it", _partition, reason.Message);
        else
            _node.StoreTrouble.Report(_log, $"Partition {_partition} cannot recover yet (the store may be down); retrying", reason);
    }

    private void Report(bool running = true) => _node.Report(new PartitionProgress(_partition, _checkpoint, _position, running && !_handingOff));
}
