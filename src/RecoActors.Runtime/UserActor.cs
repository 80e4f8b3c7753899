using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using MessagePack;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// One user, as a sharded entity in the shard of the user's Kafka partition: applies the partition's events to the
/// user's profile in offset order, answers reads, passes requests for recommendations to its node's fusion actor with
/// a copy of its profile, and hands its state to its partition actor to make durable.
/// </summary>
/// <remarks>
/// <code>
///   Loading ──Loaded──► Active ──StopEntity──► (state to the partition) stopped
///      │                   └──Evict──► asks the shard to passivate it (StopEntity follows)
///      └──Loaded, unreadable──► Corrupt (refuses events, fails reads; the stored bytes stay untouched)
/// </code>
/// Exactly once: an event at or below the last applied offset is a replay and ignored; an event whose predecessor
/// never arrived (<see cref="UserCommand.Apply.Previous"/> is newer than what was applied) is refused with
/// <see cref="PartitionMessage.Gap"/>, and the partition replays from its checkpoint. The state is durable only once
/// the partition has persisted it; until then the partition's checkpoint stays below this user's events. Every
/// event taken gives the feed its credit back (<see cref="NodeContext.Consumed"/>).
/// </remarks>
internal sealed class UserActor : UntypedActor
{
    [ThreadStatic] private static float[]? _scratch;
    private readonly string _userId;
    private readonly int _partition;
    private readonly NodeContext _node;
    private enum Phase : byte { Loading, Active, Corrupt }

    private Phase _phase;
    private List<(object Message, IActorRef Sender)>? _waiting;
    private IActorRef? _replyTo;
    private IActorRef _partitionActor = ActorRefs.Nobody;
    private Profile? _profile;
    private long _lastApplied = -1;
    private long _gapReportedAt = long.MinValue;
    private bool _dirty;
    private bool _handingOver;

    /// <summary>
    /// A user entity: its id is its actor's name (the shard names an entity by its id, escaped), and its partition is
    /// computed as the producers' partitioner computes it.
    /// </summary>
    public UserActor(NodeContext node)
    {
        _userId = Uri.UnescapeDataString(Self.Path.Name);
        _node = node;
        _partition = Murmur2Partitioner.Partition(_userId, node.Partitions);
    }

    /// <summary>Props for every user entity of <paramref name="node"/>.</summary>
    /// <remarks>
    /// One Props for all users (the id comes from the actor's name), made by a producer, not an expression: props
    /// per entity cost 170 bytes per resident user, and Akka compiles an expression's arguments on every call.
    /// </remarks>
    public static Props Props(NodeContext node) => Akka.Actor.Props.CreateBy(new Producer(node)).WithMailbox(CompactMailbox.Id);

    private sealed class Producer(NodeContext node) : IIndirectActorProducer
    {
        public Type ActorType => typeof(UserActor);

        public ActorBase Produce() => new UserActor(node);

        public void Release(ActorBase actor) { }
    }

    /// <inheritdoc />
    protected override void PreStart() => _node.Residents.Add();

    /// <inheritdoc />
    /// <remarks>
    /// A stop the shard asked for hands the state over from here, once this user no longer counts as resident: told
    /// earlier, the partition would start the next user while this one still ran, and the node would hold one more
    /// than its limit for as long as the stop took.
    /// </remarks>
    protected override void PostStop()
    {
        _node.Residents.Remove();
        if (_handingOver) _partitionActor.Tell(new PartitionMessage.Stopped(_userId, _lastApplied, _dirty ? Record() : null));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The behaviour is the phase, switched here rather than with Become: Become's delegates cost about 150 bytes
    /// per entity, and a node keeps a hundred thousand.
    /// </remarks>
    protected override void OnReceive(object message)
    {
        switch (_phase)
        {
            case Phase.Loading:
                Loading(message);
                break;
            case Phase.Active:
                Active(message);
                break;
            default:
                Corrupt(message);
                break;
        }
    }

    /// <summary>
    /// Loading: the first message asks the partition actor for the stored state (straight back to it when the message
    /// came from it, else through the region); everything waits for the answer, except a stop (nothing was applied).
    /// </summary>
    private void Loading(object message)
    {
        switch (message)
        {
            case Loaded loaded:
                _partitionActor = Sender;
                _phase = Restore(loaded.Record) ? Phase.Active : Phase.Corrupt;
                // Handled here, in arrival order, ahead of anything still in the mailbox.
                foreach (var (waiting, sender) in _waiting ?? [])
                {
                    _replyTo = sender;
                    OnReceive(waiting);
                    _replyTo = null;
                }
                _waiting = null;
                break;
            case StopEntity:
                Context.Stop(Self);
                break;
            default:
                if (message is UserCommand && !Equals(Sender, _partitionActor))
                {
                    // Asked of the partition actor that wrote: the one asked before may have stopped before it answered
                    // (a store outage restarts partition actors), and its successor never saw the request.
                    _partitionActor = Sender;
                    Sender.Tell(new PartitionMessage.Load(_partition, _userId));
                }
                else if (_waiting is null) _node.Region.Tell(new PartitionMessage.Load(_partition, _userId));
                (_waiting ??= []).Add((message, Sender));
                break;
        }
    }

    /// <summary>Who to answer: the sender of the message being handled, also when it waited for the load.</summary>
    private IActorRef ReplyTo => _replyTo ?? Sender;

    private void Active(object message)
    {
        switch (message)
        {
            case UserCommand.Apply apply:
                Follow(ReplyTo);
                OnApply(apply);
                break;
            case UserCommand.Flush flush:
                Follow(ReplyTo);
                ReplyTo.Tell(new PartitionMessage.Flushed(_userId, flush.Cycle, _lastApplied, _dirty ? Record() : null));
                _dirty = false;
                break;
            case ReadUser:
                ReplyTo.Tell(new UserRead(_userId, _node.NodeId, _lastApplied, _profile is { EventsApplied: > 0 } p ? ProfileState.Of(p, _node.ItemId) : null));
                break;
            case Recommend recommend:
                // Ranked off this mailbox: the fusion actor answers the asker with a copy of the profile as it is now.
                _node.Fusion.Tell(new FusionCommand.Rank(_userId, recommend.Count, _profile is { EventsApplied: > 0 } live ? live.Clone() : null, ReplyTo));
                break;
            case Loaded:
                // A second answer: the load was asked again of a newer partition actor.
                break;
            case UserCommand.Evict:
                // The state goes to whoever asked: a partition actor that replaced a failed one must hear that this user stopped.
                Follow(ReplyTo);
                Context.Parent.Tell(new Passivate(StopEntity.Instance));
                break;
            case StopEntity:
                _handingOver = true;
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>The stored state does not decode: report it, keep it, and take nothing that would replace it.</summary>
    private void Corrupt(object message)
    {
        switch (message)
        {
            case UserCommand.Apply apply:
                _node.Consumed(_partition, apply.Events.Count);
                foreach (var (offset, ev) in apply.Events)
                    ReplyTo.Tell(new PartitionMessage.Refused(_userId, offset, apply.Epoch, ev!, $"the stored state of user '{_userId}' cannot be read"));
                break;
            case UserCommand.Flush flush:
                ReplyTo.Tell(new PartitionMessage.Flushed(_userId, flush.Cycle, _lastApplied, null));
                break;
            case Loaded:
                break;
            case Recommend:
                ReplyTo.Tell(new RecommendationFailed(_userId, _node.NodeId, Unreadable));
                break;
            case ReadUser:
                ReplyTo.Tell(new Status.Failure(new InvalidOperationException(Unreadable)));
                break;
            case UserCommand.Evict:
                Context.Parent.Tell(new Passivate(StopEntity.Instance));
                break;
            case StopEntity:
                _handingOver = true;
                Context.Stop(Self);
                break;
        }
    }

    private string Unreadable => $"the stored state of user '{_userId}' cannot be read; it is kept as it is for inspection";

    /// <summary>
    /// Answers go to the partition actor that last wrote. A new one (its predecessor failed) has not seen this user's
    /// last state, so "unchanged" would be a lie to it: the next answer carries the state in full.
    /// </summary>
    private void Follow(IActorRef partition)
    {
        // An eviction told from outside any actor (an operator, a benchmark) leaves the state with the last writer.
        if (partition.IsNobody() || Equals(partition, _partitionActor)) return;
        _partitionActor = partition;
        _dirty = true;
    }

    private void OnApply(UserCommand.Apply apply)
    {
        var events = apply.Events;
        if (_node.DropDelivery is { } drop && events.Any(e => drop(_userId, e.Offset))) return;
        _node.Consumed(_partition, events.Count);
        var previous = apply.Previous;
        var applied = 0;
        // Per thread, and every actor system in the process shares the thread pool: nodes of other dimensions (tests
        // run several) may have sized it first.
        var size = 2 * _node.ModelOptions.Dimension;
        var scratch = _scratch is { } mine && mine.Length >= size ? mine : _scratch = new float[size];
        foreach (var (offset, ev) in events)
        {
            if (offset <= _lastApplied)
            {
                previous = offset;
                continue;
            }
            if (previous > _lastApplied)
            {
                // A message before this one never arrived: applying this one would skip it for good.
                if (_gapReportedAt != _lastApplied)
                {
                    _gapReportedAt = _lastApplied;
                    ReplyTo.Tell(new PartitionMessage.Gap(_userId, _lastApplied, apply.Epoch));
                }
                break;
            }
            _node.Contributions.Apply(_profile!, ev!, _node.Catalog.GetOrAdd(ev!.ItemId), _node.Model.Current, scratch);
            _lastApplied = previous = offset;
            _dirty = true;
            applied++;
        }
        if (applied > 0) _node.CountApplied(applied);
    }

    private bool Restore(UserRecord? record)
    {
        if (record is null)
        {
            _profile = Profile.For(_node.ModelOptions);
            return true;
        }
        _lastApplied = record.LastOffset;
        try
        {
            var state = MessagePackSerializer.Deserialize<ProfileState>(record.State, ManifestSerializer.Options);
            _profile = state.ToProfile(_node.Catalog.GetOrAdd, _node.ModelOptions);
            return true;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or System.Runtime.Serialization.SerializationException)
        {
            Context.GetLogger().Error("User {0} of partition {1}: the stored state ({2} bytes, last offset {3}) cannot be read: {4}. It is kept unchanged; this user's events go to the dead-letter topic until it is repaired.",
                _userId, _partition, record.State.Length, record.LastOffset, ex.InnerException?.Message ?? ex.Message);
            return false;
        }
    }

    private UserRecord Record() =>
        new(_userId, _lastApplied, ProfileState.Serialize(_profile!, _node.ItemId));
}
