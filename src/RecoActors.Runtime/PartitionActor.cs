using Akka.Actor;
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
/// Commit order (as Kafka Streams' StreamTask documents it): (1) ask every user with applied, uncovered events for
/// its state; (2) persist those states and the checkpoint in one journal event, so the checkpoint is never ahead of
/// the state it covers; (3) report the checkpoint to Kafka (monitoring only). The checkpoint is the low watermark:
/// the lowest offset that is not applied, or applied but in no state received yet.
/// </para>
/// <para>
/// Loss detection: a record that is not acknowledged in <see cref="RuntimeOptions.AckTimeout"/>, a user that reports a
/// gap, or a user whose state misses events it acknowledged (a restarted entity) makes the partition replay from
/// its checkpoint. Users ignore offsets they already applied, so a replay changes nothing but what was lost.
/// </para>
/// </remarks>
internal sealed class PartitionActor : UntypedPersistentActor, IWithTimers
{
    private const string CommitTimer = "commit", AckTimer = "ack", HandOffTimer = "hand-off";
    private const int GrantEvery = 256;
    private readonly int _partition;
    private readonly NodeContext _node;
    private readonly RuntimeOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Durable state: every user's last state (persisted, or received and waiting for the next commit) and the checkpoint.
    private readonly Dictionary<string, UserRecord> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserRecord> _pending = new(StringComparer.Ordinal);
    private long _checkpoint;
    private long _savedSinceSnapshot;

    // Reading.
    private readonly InFlight _inFlight = new();
    private readonly Dictionary<string, long> _lastSent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long First, long Last)> _uncovered = new(StringComparer.Ordinal);
    private long _generation;
    private long _position;
    private int _epoch;
    private int _toGrant;
    private long _appliedSinceCommit;

    // Records read but held back until a resident slot frees up.
    private readonly Queue<FeedRecord> _backlog = new();

    // Residents, least recently sent to first; users sent to whose entity has not loaded yet; users asked to passivate.
    private readonly LinkedList<string> _recency = new();
    private readonly HashSet<string> _starting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedListNode<string>> _residents = new(StringComparer.Ordinal);
    private readonly HashSet<string> _evicting = new(StringComparer.Ordinal);

    // The commit under way.
    private long _cycle;
    private HashSet<string>? _awaiting;
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
        _node.Feed.Close(_partition);
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
                _position = _checkpoint;
                _inFlight.Reset(_position);
                _generation = _node.Feed.Open(_partition, _checkpoint, Self, _options.MaxInFlight);
                Timers.StartPeriodicTimer(CommitTimer, PartitionMessage.CommitTick.Instance, _options.CommitInterval);
                Timers.StartPeriodicTimer(AckTimer, PartitionMessage.AckCheck.Instance, _options.AckTimeout / 2);
                _log.Info("Partition {0} started at offset {1} with {2} users", _partition, _checkpoint, _users.Count);
                Report();
                break;
        }
    }

    /// <summary>Running: reading, sending, committing.</summary>
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case PartitionMessage.Records records:
                if (records.Generation == _generation) Receive(records.Items);
                break;
            case PartitionMessage.Applied applied:
                if (applied.Epoch == _epoch) OnApplied(applied.Offset);
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
                OnState(flushed.UserId, flushed.LastApplied, flushed.State);
                if (flushed.Cycle == _cycle && _awaiting?.Remove(flushed.UserId) == true && _awaiting.Count == 0) Persist();
                break;
            case PartitionMessage.Stopped stopped:
                OnStopped(stopped);
                if (_awaiting?.Remove(stopped.UserId) == true && _awaiting.Count == 0) Persist();
                break;
            case PartitionMessage.CommitTick:
                Contribute();
                StartCommit();
                break;
            case PartitionMessage.AckCheck:
                CheckProgress();
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

    /// <summary>
    /// Handing off: reading has stopped; the shard has told every user to stop, and each leaves its last state here.
    /// Once they all have (or the deadline passes), the states and the checkpoint they cover are persisted.
    /// </summary>
    private void HandingOff(object message)
    {
        switch (message)
        {
            case PartitionMessage.Applied applied:
                if (applied.Epoch == _epoch) OnApplied(applied.Offset);
                break;
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
                _log.Warning("Partition {0}: {1} users did not leave their state within {2}; persisting what arrived (checkpoint stays below their events)",
                    _partition, _residents.Count, _options.HandOffTimeout);
                FinishHandOff();
                break;
            case PartitionMessage.Records or PartitionMessage.Gap or PartitionMessage.CommitTick or PartitionMessage.AckCheck or WakePartition or StopEntity:
                break;
            default:
                OnBookkeeping(message);
                break;
        }
    }

    private void Receive(IReadOnlyList<FeedRecord> items)
    {
        foreach (var record in items) _backlog.Enqueue(record);
        Drain();
    }

    /// <summary>
    /// Sends what was read, in order, to the users' entities. A record for a user who is not resident waits while this
    /// partition holds its share of the node's resident limit: it first asks its least recently used users to
    /// passivate, and carries on as they stop. So the limit bounds the entities, not just a count.
    /// </summary>
    private void Drain()
    {
        var now = Environment.TickCount64;
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
                _inFlight.Skipped(offset);
                skipped++;
                continue;
            }
            var user = ev.UserId;
            var previous = _lastSent.TryGetValue(user, out var p) ? p : -1;
            _lastSent[user] = offset;
            _inFlight.Sent(offset, user, now);
            Touch(user);
            _node.Region.Tell(new UserCommand.Apply(user, _partition, ev, offset, previous, _epoch), Self);
        }
        if (skipped > 0) Grant(skipped);
        if (_node.Contribution(_partition).Events >= _options.ContributeEvery) Contribute();
    }

    /// <summary>Whether <paramref name="userId"/> may get a message now: it is resident or starting, or there is room for it.</summary>
    private bool MakeRoomFor(string userId)
    {
        if (_residents.ContainsKey(userId) || _starting.Contains(userId)) return true;
        // Within this partition's share, and within the node's limit (another partition may not have shrunk to its share yet).
        var over = Math.Max(_residents.Count + _starting.Count + 1 - Share, _node.Residents.Count + _starting.Count + 1 - _node.Residents.Limit);
        if (over <= 0)
        {
            _starting.Add(userId);
            return true;
        }
        for (var node = _recency.First; node is not null && _evicting.Count < over; node = node.Next)
            if (_evicting.Add(node.Value)) _node.Region.Tell(new UserCommand.Evict(node.Value, _partition));
        return false;
    }

    private void OnApplied(long offset)
    {
        if (_inFlight.Applied(offset) is not { } user) return;
        _uncovered[user] = _uncovered.TryGetValue(user, out var u) ? (u.First, Math.Max(u.Last, offset)) : (offset, offset);
        Grant(1);
        if (++_appliedSinceCommit >= _options.CommitEvery) StartCommit();
    }

    private void OnRefused(PartitionMessage.Refused refused)
    {
        if (_inFlight.Applied(refused.Offset) is null) return;
        _node.Feed.DeadLetter(_partition, refused.Offset, refused.Event, "unreadable-state", refused.Reason);
        _node.CountRefused();
        Grant(1);
    }

    private void Grant(int records)
    {
        _toGrant += records;
        if (_toGrant < GrantEvery && _inFlight.Count > 0) return;
        _node.Feed.Grant(_partition, _toGrant);
        _toGrant = 0;
    }

    private void OnLoad(string userId)
    {
        Sender.Tell(new Loaded(_users.GetValueOrDefault(userId)));
        _starting.Remove(userId);
        if (_residents.ContainsKey(userId)) return;
        _residents[userId] = _recency.AddLast(userId);
        // A user started by a read rather than by an event counts against the share too.
        var over = _residents.Count + _starting.Count - Share;
        for (var node = _recency.First; node is not null && _evicting.Count < over; node = node.Next)
            if (node.Value != userId && _evicting.Add(node.Value)) _node.Region.Tell(new UserCommand.Evict(node.Value, _partition));
    }

    /// <summary>This partition's share of the node's resident limit.</summary>
    private int Share => Math.Max(1, _node.Residents.Limit / Math.Max(1, _node.Progress.Count));

    private void OnStopped(PartitionMessage.Stopped stopped)
    {
        OnState(stopped.UserId, stopped.LastApplied, stopped.State);
        if (_residents.Remove(stopped.UserId, out var node)) _recency.Remove(node);
        _evicting.Remove(stopped.UserId);
        if (!_handingOff && _backlog.Count > 0) Drain();
    }

    /// <summary>A user's state arrived: it covers that user's applied events, unless it misses some (a restarted entity).</summary>
    private void OnState(string userId, long lastApplied, UserRecord? state)
    {
        if (state is not null)
        {
            _users[userId] = state;
            _pending[userId] = state;
        }
        if (!_uncovered.TryGetValue(userId, out var uncovered)) return;
        if (lastApplied >= uncovered.Last)
        {
            _uncovered.Remove(userId);
            return;
        }
        // The entity lost events it had acknowledged (it was restarted): they come back by replay.
        if (!_handingOff) Replay($"user '{userId}' holds offset {lastApplied} but had applied {uncovered.Last}");
    }

    private void Touch(string userId)
    {
        if (!_residents.TryGetValue(userId, out var node)) return;
        _recency.Remove(node);
        _recency.AddLast(node);
    }

    /// <summary>Step (1) of a commit: ask every user with uncovered events for its state.</summary>
    private void StartCommit()
    {
        if (_awaiting is not null || _persisting) return;
        _appliedSinceCommit = 0;
        if (_uncovered.Count == 0)
        {
            Persist();
            return;
        }
        _cycle++;
        _cycleStartedAt = Environment.TickCount64;
        _awaiting = new HashSet<string>(_uncovered.Keys, StringComparer.Ordinal);
        foreach (var user in _awaiting) _node.Region.Tell(new UserCommand.Flush(user, _partition, _cycle), Self);
    }

    /// <summary>Steps (2) and (3): persist the states received and the checkpoint they cover, then report it.</summary>
    private void Persist()
    {
        _awaiting = null;
        var checkpoint = _inFlight.AppliedBelow;
        foreach (var (first, _) in _uncovered.Values) checkpoint = Math.Min(checkpoint, first);
        if (_pending.Count == 0 && checkpoint <= _checkpoint)
        {
            if (_finishing) Stop();
            return;
        }
        var users = _pending.Values.ToArray();
        _pending.Clear();
        _persisting = true;
        PersistAsync(new PartitionCommitted(checkpoint, users), committed =>
        {
            _persisting = false;
            _checkpoint = Math.Max(_checkpoint, committed.NextOffset);
            // Users whose last event sent is below the checkpoint are durable: their next event needs no predecessor.
            foreach (var user in _lastSent.Where(s => s.Value < _checkpoint).Select(s => s.Key).ToList()) _lastSent.Remove(user);
            _node.Feed.Committed(_partition, _checkpoint);
            _savedSinceSnapshot += users.Length;
            if (_savedSinceSnapshot >= Math.Max(1_000, _users.Count)) SaveSnapshot(new PartitionSnapshot(_checkpoint, [.. _users.Values]));
            Report(running: !_handingOff);
            if (_finishing) Persist();
        });
    }

    private void Contribute()
    {
        if (_node.Contribution(_partition).Take() is { } partial) _node.Segments.Tell(new SegmentCommand.Contribute(partial));
    }

    /// <summary>Replays from the checkpoint after a loss: users ignore what they already applied.</summary>
    private void Replay(string reason)
    {
        _log.Info("Partition {0} replays from offset {1}: {2}", _partition, _checkpoint, reason);
        _epoch++;
        _lastSent.Clear();
        _backlog.Clear();
        _position = _checkpoint;
        _inFlight.Reset(_position);
        _toGrant = 0;
        _generation = _node.Feed.Seek(_partition, _checkpoint, _options.MaxInFlight);
        Report();
    }

    private void CheckProgress()
    {
        var now = Environment.TickCount64;
        if (_backlog.Count > 0)
        {
            // Waiting for room: ask again, in case a passivation request was lost.
            _evicting.Clear();
            Drain();
        }
        // Partitions that joined this node since shrink every share: give back what is over.
        var over = _residents.Count - Share;
        for (var node = _recency.First; node is not null && _evicting.Count < over; node = node.Next)
            if (_evicting.Add(node.Value)) _node.Region.Tell(new UserCommand.Evict(node.Value, _partition));
        if (_inFlight.OldestSentAt is { } sentAt && now - sentAt > _options.AckTimeout.TotalMilliseconds)
            Replay($"the record at offset {_inFlight.AppliedBelow} was not applied within {_options.AckTimeout.TotalSeconds:0.#} s");
        else if (_awaiting is not null && now - _cycleStartedAt > _options.AckTimeout.TotalMilliseconds)
        {
            // A flush answer was lost: the users that did answer are kept for the next commit.
            _log.Info("Partition {0}: {1} users did not answer commit {2}; trying again", _partition, _awaiting.Count, _cycle);
            _awaiting = null;
        }
        Report();
    }

    private void BeginHandOff()
    {
        _node.Feed.Close(_partition);
        Timers.CancelAll();
        _handingOff = true;
        Become(HandingOff);
        _awaiting = null;
        Report(running: false);
        if (_residents.Count == 0) FinishHandOff();
        else Timers.StartSingleTimer(HandOffTimer, PartitionMessage.HandOffDeadline.Instance, _options.HandOffTimeout);
    }

    /// <summary>Persists what the users left (after a commit under way, if any), then stops.</summary>
    private void FinishHandOff()
    {
        if (_finishing) return;
        _finishing = true;
        Timers.Cancel(HandOffTimer);
        Contribute();
        if (!_persisting) Persist();
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
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        StoreTrouble.Report(_log, $"Partition {_partition} could not persist a commit (it restarts from offset {_checkpoint}; nothing is lost)", cause);
    }

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
            StoreTrouble.Report(_log, $"Partition {_partition} cannot recover yet (the store may be down); retrying", reason);
    }

    private void Report(bool running = true) => _node.Report(new PartitionProgress(_partition, _checkpoint, _position, running));
}
