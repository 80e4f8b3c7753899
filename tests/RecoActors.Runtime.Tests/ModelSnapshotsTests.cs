using Akka.Actor;
using Akka.Persistence;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>The model's snapshot store: a store of its own, on the folds' threads, that keeps and gives back the model.</summary>
public sealed class ModelSnapshotsTests
{
    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task The_models_store_runs_on_the_folds_threads_and_gives_back_what_it_saved(string kind)
    {
        await using var sqlite = new SqliteTestStore();
        var store = kind == "memory" ? PersistenceStore.Memory : sqlite.Store;
        var system = ActorSystem.Create("model-store", RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0 }, store, new RuntimeOptions()));
        try
        {
            var modelStore = ModelSnapshots.Store(system);
            Assert.Equal(ModelActor.Dispatcher, Assert.IsAssignableFrom<ActorRefWithCell>(modelStore).Underlying.Props.Dispatcher);
            Assert.NotEqual(modelStore, Persistence.Instance.Apply(system).SnapshotStoreFor(null));

            var snapshots = new ModelSnapshots("model-test", TimeSpan.FromMinutes(1));
            var saved = new ModelCheckpoint(3, 40, 41, new byte[] { 5, 6, 7 });
            await modelStore.Ask<SaveSnapshotSuccess>(new SaveSnapshot(new SnapshotMetadata(snapshots.PersistenceId, 0, DateTime.UtcNow), saved), TimeSpan.FromSeconds(10));

            var loaded = await snapshots.LoadAsync(system, TimeSpan.FromSeconds(10));
            Assert.Equal((3L, 40L, 41L), (loaded!.Version, loaded.Completed, loaded.Resume));
            Assert.Equal(new byte[] { 5, 6, 7 }, loaded.State.ToArray());
        }
        finally
        {
            await system.Terminate();
        }
    }
}
