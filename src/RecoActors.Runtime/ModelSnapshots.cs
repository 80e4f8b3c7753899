using Akka.Actor;
using Akka.Persistence;

namespace RecoActors.Runtime;

/// <summary>Where and how often the segment model is persisted (<see cref="ModelCheckpoint"/>), and loading it at start.</summary>
/// <param name="PersistenceId">The model's persistence id, the same on every node (<see cref="ModelCheckpoint.PersistenceId"/>).</param>
/// <param name="Interval">How often the oldest node saves it, when it changed.</param>
/// <remarks>
/// The model is saved and loaded through a snapshot store of its own (<see cref="StorePlugin"/>: the same table as the
/// partitions' snapshots), whose actor runs on a background thread of its own (<see cref="Dispatcher"/>). A save writes
/// tens of megabytes (the serializer's copy, then the database's) every <see cref="Interval"/>: on the default store,
/// that ran on the pool that requests use, at normal priority; on the folds' threads, a fold that came due during a
/// save waited for it.
/// </remarks>
public sealed record ModelSnapshots(string PersistenceId, TimeSpan Interval)
{
    /// <summary>The name of the model's snapshot store under <c>akka.persistence.snapshot-store</c> (<see cref="RuntimeConfig"/> defines it).</summary>
    public const string StoreName = "model";

    /// <summary>The model's snapshot store's plugin id.</summary>
    public const string StorePlugin = "akka.persistence.snapshot-store." + StoreName;

    /// <summary>The dispatcher of the model's snapshot store: one background thread (<see cref="BackgroundExecutor"/>).</summary>
    public const string Dispatcher = "akka.reco-model-store-dispatcher";

    /// <summary>The definition of <see cref="Dispatcher"/>.</summary>
    public static string DispatcherHocon => BackgroundExecutor.Dispatcher(Dispatcher, 1);

    /// <summary>The model's snapshot store in <paramref name="system"/>.</summary>
    public static IActorRef Store(ActorSystem system) => Persistence.Instance.Apply(system).SnapshotStoreFor(StorePlugin);

    /// <summary>The latest saved model, or null when none was saved yet.</summary>
    /// <exception cref="InvalidOperationException">The store holds a snapshot that cannot be read (it is left as it is), or it does not answer.</exception>
    public async Task<ModelCheckpoint?> LoadAsync(ActorSystem system, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(system);
        var store = Store(system);
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
