using RecoActors.Core;

namespace RecoActors.Actors;

/// <summary>
/// Keeps the node's segment models: merges the shards' partials as they arrive and folds them into the
/// <see cref="GlobalModel"/> at most once per fold interval, publishing a new snapshot that shards and rankings read.
/// </summary>
/// <remarks>
/// One actor holds all K segments: a fold touches every segment at once and K is small, so an actor per segment
/// would add messages without adding parallelism. Folding here, not on the consumer's thread, is what lets the
/// node use a second core: republishing a snapshot costs milliseconds, applying an event about a microsecond.
/// A restart (from the factory) loses only the partials merged since the last fold; the model itself lives in
/// the <see cref="GlobalModel"/>.
/// <para>
/// Across nodes (<paramref name="publish"/> given): the merged partial is published instead of folded, and the
/// model folds only what comes back from the exchange (<see cref="SegmentMessage.Exchanged"/>), which delivers
/// every node's partials to every node in one order, so every node's model is the same.
/// </para>
/// </remarks>
/// <param name="model">The node's model.</param>
/// <param name="foldInterval">How long contributions gather before they are folded (or published).</param>
/// <param name="publish">Sends a merged partial to every node; null folds locally (one node).</param>
/// <param name="folded">Told the number of events in each partial folded.</param>
public sealed class SegmentActor(GlobalModel model, TimeSpan foldInterval, Action<ModelPartial>? publish = null, Action<long>? folded = null)
    : Actor<SegmentMessage>
{
    private const string FoldTimer = "fold";

    /// <summary>
    /// A merged partial is published early once it covers this many events: its co-visitation pairs grow with the
    /// events, and a partial that outgrows the partials topic's retention (5 MB on librdkafka's mock cluster) is lost.
    /// </summary>
    private const long PublishEvery = 10_000;
    private ModelPartial _pending = model.NewPartial();

    /// <inheritdoc />
    protected internal override ValueTask ReceiveAsync(SegmentMessage message)
    {
        switch (message)
        {
            case SegmentMessage.Contribute contribute:
                // A lone partial is folded as it is, so one shard folding every N events matches the single-stream loop bit for bit.
                if (_pending.IsEmpty) _pending = contribute.Partial;
                else _pending.MergeFrom(contribute.Partial, model.Current.Options.ModelHalfLifeMs);
                if (publish is not null && _pending.Events >= PublishEvery)
                {
                    Context.Timers.Cancel(FoldTimer);
                    FoldPending();
                }
                else if (!Context.Timers.IsActive(FoldTimer)) Context.Timers.StartSingle(FoldTimer, SegmentMessage.Fold.Instance, foldInterval);
                break;
            case SegmentMessage.Fold:
                FoldPending();
                break;
            case SegmentMessage.Exchanged exchanged:
                Apply(exchanged.Partial);
                break;
            case SegmentMessage.FoldNow now:
                Context.Timers.Cancel(FoldTimer);
                FoldPending();
                now.Reply.Send(model.Current);
                break;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>What was contributed since the last fold is not lost on a graceful stop.</summary>
    protected internal override ValueTask PostStopAsync()
    {
        FoldPending();
        return ValueTask.CompletedTask;
    }

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
