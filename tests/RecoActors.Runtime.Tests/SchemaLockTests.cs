using Akka.Actor;
using Akka.Persistence;
using RecoActors.Protocol;
using RecoActors.Testing;

namespace RecoActors.Runtime.Tests;

/// <summary>Nodes that start together on a new PostgreSQL database create the store's tables one at a time.</summary>
public sealed class SchemaLockTests
{
    [Fact]
    public async Task The_schema_lock_is_held_by_one_node_at_a_time()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("reco_lock_");
        var store = PersistenceStore.Postgres(database.ConnectionString);
        var first = await store.LockSchemaAsync();
        var second = store.LockSchemaAsync();
        // Held: the second waits (awaited with a deadline, then released, rather than slept on).
        Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(TimeSpan.FromMilliseconds(500))));
        await first.DisposeAsync();
        await (await second.WaitAsync(TimeSpan.FromSeconds(10))).DisposeAsync();
    }

    [Fact]
    public async Task Three_nodes_starting_at_once_on_a_new_database_all_get_a_working_journal_and_both_snapshot_stores()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("reco_schema_");
        var store = PersistenceStore.Postgres(database.ConnectionString);
        var config = RuntimeConfig.Build(new ClusterOptions { Hostname = "127.0.0.1", Port = 0 }, store, new RuntimeOptions());
        var systems = Enumerable.Range(0, 3).Select(i => ActorSystem.Create($"schema{i}", config)).ToList();
        try
        {
            await Task.WhenAll(systems.Select(async system =>
            {
                await using var held = await store.LockSchemaAsync();
                var persistence = Persistence.Instance.Apply(system);
                Func<IActorRef, object> replay = replyTo => new ReplayMessages(1, 0, 0, "check", replyTo);
                Assert.IsType<RecoverySuccess>(await persistence.JournalFor(null).Ask<object>(replay, TimeSpan.FromSeconds(30), CancellationToken.None));
                foreach (var snapshots in new[] { persistence.SnapshotStoreFor(null), ModelSnapshots.Store(system) })
                    Assert.IsType<LoadSnapshotResult>(await snapshots.Ask<object>(new LoadSnapshot("check", SnapshotSelectionCriteria.Latest, long.MaxValue), TimeSpan.FromSeconds(30)));
            }));
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => s.Terminate()));
        }
    }
}
