using Akka.Actor;
using RecoActors.Core;

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
/// </remarks>
/// <param name="model">The node's model.</param>
/// <param name="contributions">What the node's users contribute; null when it folds only what the exchange delivers.</param>
/// <param name="foldInterval">How long contributions gather before they are folded (or published).</param>
/// <param name="publish">Sends a merged partial to every node; null folds locally (one node).</param>
/// <param name="folded">Told the number of events in each partial folded.</param>
public sealed class SegmentActor(GlobalModel model, Contributions? contributions, TimeSpan foldInterval, Action<ModelPartial>? publish = null,
    Action<long>? folded = null)
    : UntypedActor, IWithTimers
{
    private const string FoldTimer = "fold";

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the node's segment actor.</summary>
    public static Props Props(GlobalModel model, Contributions? contributions, TimeSpan foldInterval, Action<ModelPartial>? publish = null,
        Action<long>? folded = null) =>
        Akka.Actor.Props.Create(() => new SegmentActor(model, contributions, foldInterval, publish, folded));

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (contributions is not null) Timers.StartPeriodicTimer(FoldTimer, SegmentCommand.Fold.Instance, foldInterval);
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
                break;
            case SegmentCommand.FoldNow:
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
