using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>
/// What a node's user entities add to the segment model as they apply events, gathered per thread and taken by the
/// model actor when it folds. Partials are sums, so how events are spread over threads does not matter.
/// </summary>
/// <remarks>
/// Per thread, not per partition: a lock shared by a partition's users was contended hard (entities of one
/// partition run at the same moment on different pool threads), and a partial per user would cost kilobytes per
/// resident user. Each thread's slot has a lock that only the model actor's take ever contends for.
/// </remarks>
public sealed class Contributions : IDisposable
{
    private readonly ThreadLocal<Slot> _slots = new(() => new Slot(), trackAllValues: true);
    // Partials folded (or published) already: reused, so their tables are not grown again from nothing every fold.
    private readonly Stack<ModelPartial> _spare = new();

    private sealed class Slot
    {
        public readonly object Gate = new();
        public ModelPartial? Partial;
    }

    /// <summary>Applies an event to <paramref name="profile"/> and adds what it contributes; see <see cref="ProfileUpdater.Apply"/>.</summary>
    public void Apply(Profile profile, BehaviourEvent ev, int item, ModelSnapshot snapshot, Span<float> scratch)
    {
        var slot = _slots.Value!;
        lock (slot.Gate)
        {
            // Started at the first event after a take, against the snapshot current then, like the single-stream loop's.
            slot.Partial ??= Rent(snapshot);
            ProfileUpdater.Apply(profile, ev.ItemId, item, ev.Type, ev.Value, ev.Timestamp, snapshot, slot.Partial, scratch, ev.Text);
        }
    }

    /// <summary>Takes what every thread added since the last take, merged; null if nothing was.</summary>
    public ModelPartial? TakeAll(long halfLifeMs)
    {
        ModelPartial? merged = null;
        foreach (var slot in _slots.Values)
        {
            ModelPartial? taken;
            lock (slot.Gate)
            {
                taken = slot.Partial;
                slot.Partial = null;
            }
            if (taken is null) continue;
            if (merged is null) merged = taken;
            else
            {
                merged.MergeFrom(taken, halfLifeMs);
                Recycle(taken);
            }
        }
        return merged;
    }

    /// <summary>Gives back a partial from <see cref="TakeAll"/> once it has been folded or encoded.</summary>
    public void Recycle(ModelPartial partial)
    {
        lock (_spare) _spare.Push(partial);
    }

    private ModelPartial Rent(ModelSnapshot snapshot)
    {
        ModelPartial? spare;
        lock (_spare) _spare.TryPop(out spare);
        if (spare is null) return new ModelPartial(snapshot.Options.Segments, snapshot.Options.Dimension, snapshot.Epoch);
        spare.Reset(snapshot.Epoch);
        return spare;
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}
