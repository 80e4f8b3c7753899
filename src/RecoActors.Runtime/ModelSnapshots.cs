using Akka.Actor;
using Akka.Persistence;

namespace RecoActors.Runtime;

/// <summary>Where and how often the segment model is persisted (<see cref="ModelCheckpoint"/>), and loading it at start.</summary>
/// <param name="PersistenceId">The model's persistence id, the same on every node (<see cref="ModelCheckpoint.PersistenceId"/>).</param>
/// <param name="Interval">How often the oldest node saves it, when it changed.</param>
public sealed record ModelSnapshots(string PersistenceId, TimeSpan Interval)
{
    /// <summary>The latest saved model, or null when none was saved yet.</summary>
    /// <exception cref="InvalidOperationException">The store holds a snapshot that cannot be read (it is left as it is), or it does not answer.</exception>
    public async Task<ModelCheckpoint?> LoadAsync(ActorSystem system, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(system);
        var store = Persistence.Instance.Apply(system).SnapshotStoreFor(null);
        object answer;
        try
        {
            answer = await store.Ask<object>(new LoadSnapshot(PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new InvalidOperationException($"the store did not answer within {timeout.TotalSeconds:0.#} s when asked for the model snapshot '{PersistenceId}'");
        }
        return answer switch
        {
            LoadSnapshotResult { Snapshot: null } => null,
            LoadSnapshotResult { Snapshot.Snapshot: ModelCheckpoint checkpoint } => checkpoint,
            LoadSnapshotResult other => throw Unreadable($"it holds a {other.Snapshot.Snapshot?.GetType().Name ?? "null"}"),
            LoadSnapshotFailed failed => throw Unreadable(failed.Cause.Message),
            _ => throw Unreadable($"the store answered {answer.GetType().Name}"),
        };

        InvalidOperationException Unreadable(string why) => new($"the model snapshot '{PersistenceId}' cannot be read: {why}. It is left as it is; " +
            "delete it to rebuild the model from the partials topic (as far as its retention reaches), or start a build that reads it");
    }
}
