using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>
/// One partition's statistics towards the segment model since they were last taken, added to by the partition's
/// user entities as they apply events, and taken by the partition actor for the segment actor.
/// </summary>
/// <remarks>
/// The only state the entities of a partition share, behind one lock: a partial per entity would cost kilobytes per
/// resident user, and sending each event's contribution back as a message would cost two vectors per event. The
/// lock is held for one <see cref="ProfileUpdater.Apply"/> (under a microsecond); a partition's users rarely run at
/// the same moment on a node's few cores.
/// </remarks>
public sealed class PartitionContribution
{
    private readonly object _gate = new();
    private ModelPartial? _partial;

    /// <summary>Applies an event to <paramref name="profile"/> and adds what it contributes; see <see cref="ProfileUpdater.Apply"/>.</summary>
    public void Apply(Profile profile, BehaviourEvent ev, int item, ModelSnapshot snapshot, Span<float> scratch)
    {
        lock (_gate)
        {
            // Started at the first event after a take, against the snapshot current then, like the single-stream loop's.
            _partial ??= new ModelPartial(snapshot.Options.Segments, snapshot.Options.Dimension, snapshot.Epoch);
            ProfileUpdater.Apply(profile, ev.ItemId, item, ev.Type, ev.Value, ev.Timestamp, snapshot, _partial, scratch);
        }
    }

    /// <summary>Events added since the last take.</summary>
    public long Events
    {
        get
        {
            lock (_gate) return _partial?.Events ?? 0;
        }
    }

    /// <summary>Takes what was added; null if nothing was.</summary>
    public ModelPartial? Take()
    {
        lock (_gate)
        {
            var taken = _partial;
            _partial = null;
            return taken;
        }
    }
}
