using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using MessagePack;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// One user, as a sharded entity in the shard of the user's Kafka partition: applies the partition's events to the
/// user's profile in offset order, answers reads, and hands its state to its partition actor to make durable.
/// </summary>
/// <remarks>
/// <code>
///   Loading ──Loaded──► Active ──StopEntity──► (state to the partition) stopped
///      │                   └──Evict──► asks the shard to passivate it (StopEntity follows)
///      └──Loaded, unreadable──► Corrupt (refuses events, fails reads; the stored bytes stay untouched)
/// </code>
/// Exactly once: an event at or below the last applied offset is a replay and only acknowledged; an event whose
/// predecessor never arrived (<see cref="UserCommand.Apply.Previous"/> is newer than what was applied) is refused
/// with <see cref="PartitionMessage.Gap"/>, and the partition replays from its checkpoint. The state is durable only
/// once the partition has persisted it; until then the partition's checkpoint stays below this user's events.
/// </remarks>
internal sealed class UserActor : UntypedActor, IWithStash
{
    [ThreadStatic] private static float[]? _scratch;
    private readonly string _userId;
    private readonly int _partition;
    private readonly NodeContext _node;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef _partitionActor = ActorRefs.Nobody;
    private Profile? _profile;
    private long _lastApplied = -1;
    private long _gapReportedAt = long.MinValue;
    private bool _dirty;

    /// <summary>A user entity; its partition is computed as the producers' partitioner computes it.</summary>
    public UserActor(string userId, NodeContext node)
    {
        _userId = userId;
        _node = node;
        _partition = Kafka.Murmur2Partitioner.Partition(userId, node.Partitions);
    }

    /// <summary>Props for the entity of <paramref name="userId"/>.</summary>
    public static Props Props(string userId, NodeContext node) => Akka.Actor.Props.Create(() => new UserActor(userId, node));

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        _node.Residents.Add();
        _node.Region.Tell(new PartitionMessage.Load(_partition, _userId));
    }

    /// <inheritdoc />
    protected override void PostStop() => _node.Residents.Remove();

    /// <summary>Loading: everything waits for the stored state, except a stop (nothing has been applied yet).</summary>
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Loaded loaded:
                _partitionActor = Sender;
                if (Restore(loaded.Record))
                {
                    Become(Active);
                    Stash.UnstashAll();
                }
                else
                {
                    Become(Corrupt);
                    Stash.UnstashAll();
                }
                break;
            case StopEntity:
                Context.Stop(Self);
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    private void Active(object message)
    {
        switch (message)
        {
            case UserCommand.Apply apply:
                _partitionActor = Sender;
                OnApply(apply);
                break;
            case UserCommand.Flush flush:
                _partitionActor = Sender;
                Sender.Tell(new PartitionMessage.Flushed(_userId, flush.Cycle, _lastApplied, _dirty ? Record() : null));
                _dirty = false;
                break;
            case ReadUser:
                Sender.Tell(new UserRead(_userId, _node.NodeId, _lastApplied, _profile is { EventsApplied: > 0 } p ? ProfileState.Of(p, i => _node.Catalog[i]) : null));
                break;
            case UserCommand.Evict:
                Context.Parent.Tell(new Passivate(StopEntity.Instance));
                break;
            case StopEntity:
                _partitionActor.Tell(new PartitionMessage.Stopped(_userId, _lastApplied, _dirty ? Record() : null));
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
                Sender.Tell(new PartitionMessage.Refused(_userId, apply.Offset, apply.Epoch, apply.Event, $"the stored state of user '{_userId}' cannot be read"));
                break;
            case UserCommand.Flush flush:
                Sender.Tell(new PartitionMessage.Flushed(_userId, flush.Cycle, _lastApplied, null));
                break;
            case ReadUser:
                Sender.Tell(new Status.Failure(new InvalidOperationException($"the stored state of user '{_userId}' cannot be read; it is kept as it is for inspection")));
                break;
            case UserCommand.Evict:
                Context.Parent.Tell(new Passivate(StopEntity.Instance));
                break;
            case StopEntity:
                _partitionActor.Tell(new PartitionMessage.Stopped(_userId, _lastApplied, null));
                Context.Stop(Self);
                break;
        }
    }

    private void OnApply(UserCommand.Apply apply)
    {
        if (_node.DropDelivery?.Invoke(_userId, apply.Offset) == true) return;
        if (apply.Offset <= _lastApplied)
        {
            Sender.Tell(new PartitionMessage.Applied(apply.Offset, apply.Epoch));
            return;
        }
        if (apply.Previous > _lastApplied)
        {
            // A message before this one never arrived: applying this one would skip it for good.
            if (_gapReportedAt != _lastApplied)
            {
                _gapReportedAt = _lastApplied;
                Sender.Tell(new PartitionMessage.Gap(_userId, _lastApplied, apply.Epoch));
            }
            return;
        }
        var scratch = _scratch ??= new float[2 * _node.ModelOptions.Dimension];
        var item = _node.Catalog.GetOrAdd(apply.Event.ItemId);
        _node.Contribution(_partition).Apply(_profile!, apply.Event, item, _node.Model.Current, scratch);
        _lastApplied = apply.Offset;
        _dirty = true;
        _node.CountApplied();
        Sender.Tell(new PartitionMessage.Applied(apply.Offset, apply.Epoch));
    }

    private bool Restore(UserRecord? record)
    {
        if (record is null)
        {
            _profile = Profile.For(_node.ModelOptions);
            return true;
        }
        try
        {
            var state = MessagePackSerializer.Deserialize<ProfileState>(record.State, ManifestSerializer.Options);
            _profile = state.ToProfile(_node.Catalog.GetOrAdd, _node.ModelOptions);
            _lastApplied = record.LastOffset;
            return true;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or System.Runtime.Serialization.SerializationException)
        {
            _log.Error("User {0} of partition {1}: the stored state ({2} bytes, last offset {3}) cannot be read: {4}. It is kept unchanged; this user's events go to the dead-letter topic until it is repaired.",
                _userId, _partition, record.State.Length, record.LastOffset, ex.InnerException?.Message ?? ex.Message);
            return false;
        }
    }

    private UserRecord Record() =>
        new(_userId, _lastApplied, MessagePackSerializer.Serialize(ProfileState.Of(_profile!, i => _node.Catalog[i]), ManifestSerializer.Options));
}
