using Akka.Actor;
using Akka.Persistence;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>The model's snapshot store: a store of its own, on a background thread of its own, that keeps and gives back the model.</summary>
public sealed class ModelSnapshotsTests
{
    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task The_models_store_runs_on_its_own_thread_and_gives_back_what_it_saved(string kind)
    {
        await using var sqlite = new SqliteTestStore();
        var store = kind == "memory" ? PersistenceStore.Memory : sqlite.Store;
        var system = ActorSystem.Create("model-store", RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0 }, store, new RuntimeOptions()));
        try
        {
            var modelStore = ModelSnapshots.Store(system);
            Assert.Equal(ModelSnapshots.Dispatcher, Assert.IsAssignableFrom<ActorRefWithCell>(modelStore).Underlying.Props.Dispatcher);
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

    [Fact]
    public async Task A_fold_goes_on_while_the_models_store_is_busy()
    {
        var system = ActorSystem.Create("model-store-busy", RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0 }, PersistenceStore.Memory, new RuntimeOptions()));
        using var gate = new ManualResetEventSlim();
        try
        {
            // The store's thread held, as a long save holds it.
            var holder = system.ActorOf(Props.Create(() => new Holder(gate)).WithDispatcher(ModelSnapshots.Dispatcher));
            Assert.Equal("held", await holder.Ask<string>("hold", TimeSpan.FromSeconds(10)));

            var model = new GlobalModel(ModelActorTests.Options, new ItemCatalog());
            var partial = ModelActorTests.Partials(new GlobalModel(ModelActorTests.Options, new ItemCatalog()))[0];
            var actor = system.ActorOf(ModelActor.Props(model, contributions: null, TimeSpan.FromMinutes(1)));
            actor.Tell(new ModelCommand.Exchanged(PartialCodec.Decode(partial, model.Catalog, ModelActorTests.Options)));
            var folded = await actor.Ask<ModelSnapshot>(ModelCommand.FoldNow.Instance, TimeSpan.FromSeconds(20));
            Assert.Equal(1, folded.Version);
        }
        finally
        {
            gate.Set();
            await system.Terminate();
        }
    }

    /// <summary>Answers, then holds its thread until the gate opens.</summary>
    private sealed class Holder : ReceiveActor
    {
        public Holder(ManualResetEventSlim gate) => ReceiveAny(_ =>
        {
            Sender.Tell("held");
            gate.Wait();
        });
    }
}
