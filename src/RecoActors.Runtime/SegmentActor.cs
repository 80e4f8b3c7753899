using Akka.Actor;
using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>
/// Keeps the node's segment models: merges the partitions' partials as they arrive and folds them into the
/// <see cref="GlobalModel"/> at most once per fold interval, publishing a new snapshot that users and rankings read.
/// </summary>
/// <remarks>
/// Across nodes (<paramref name="publish"/> given) the merged partial is published instead of folded, and the model
/// folds only what comes back from the exchange (<see cref="SegmentCommand.Exchanged"/>), which delivers every
/// node's partials to every node in one order, so every node's model is the same. Folding here, not on a
/// partition's thread, is what lets a node use a second core: a fold costs milliseconds, an event a microsecond.
/// </remarks>
/// <param name="model">The node's model.</param>
/// <param name="foldInterval">How long contributions gather before they are folded (or published).</param>
/// <param name="publish">Sends a merged partial to every node; null folds locally (one node).</param>
/// <param name="folded">Told the number of events in each partial folded.</param>
public sealed class SegmentActor(GlobalModel model, TimeSpan foldInterval, Action<ModelPartial>? publish = null, Action<long>? folded = null)
    : UntypedActor, IWithTimers
{
    private const string FoldTimer = "fold";

    /// <summary>
    /// A merged partial is published early once it covers this many events: its co-visitation pairs grow with the
    /// events, and a partial that outgrows the partials topic's record size is lost.
    /// </summary>
    private const long PublishEvery = 10_000;
    private ModelPartial _pending = model.NewPartial();

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the node's segment actor.</summary>
    public static Props Props(GlobalModel model, TimeSpan foldInterval, Action<ModelPartial>? publish = null, Action<long>? folded = null) =>
        Akka.Actor.Props.Create(() => new SegmentActor(model, foldInterval, publish, folded));

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SegmentCommand.Contribute contribute:
                // A lone partial is folded as it is, so one partition folding every N events matches the single-stream loop bit for bit.
                if (_pending.IsEmpty) _pending = contribute.Partial;
                else _pending.MergeFrom(contribute.Partial, model.Current.Options.ModelHalfLifeMs);
                if (publish is not null && _pending.Events >= PublishEvery)
                {
                    Timers.Cancel(FoldTimer);
                    FoldPending();
                }
                else if (!Timers.IsTimerActive(FoldTimer)) Timers.StartSingleTimer(FoldTimer, SegmentCommand.Fold.Instance, foldInterval);
                break;
            case SegmentCommand.Fold:
                FoldPending();
                break;
            case SegmentCommand.Exchanged exchanged:
                Apply(exchanged.Partial);
                break;
            case SegmentCommand.FoldNow:
                Timers.Cancel(FoldTimer);
                FoldPending();
                Sender.Tell(model.Current);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>What was contributed since the last fold is not lost on a graceful stop.</summary>
    protected override void PostStop() => FoldPending();

    private void FoldPending()
    {
        if (_pending.IsEmpty) return;
        if (publish is null) Apply(_pending);
        else publish(_pending);
        _pending = model.NewPartial();
    }

    private void Apply(ModelPartial partial)
    {
        model.Apply(partial);
        folded?.Invoke(partial.Events);
    }
}
