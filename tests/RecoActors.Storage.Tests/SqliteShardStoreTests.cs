namespace RecoActors.Storage.Tests;

public sealed class SqliteShardStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("reco-store-").FullName;
    private string File => Path.Combine(_folder, "reco.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static UserRecord User(string id, long offset, byte fill) => new(id, 3, offset, [1, fill, fill]);

    [Fact]
    public async Task Users_and_the_checkpoint_are_committed_together_and_survive_a_reopen()
    {
        await using (var store = await SqliteShardStore.OpenAsync(File))
        {
            Assert.Null(await store.ReadCheckpointAsync("events", 3));
            var generation = await store.ClaimAsync(3, "node-a", "http://a:8080");
            Assert.Equal(1, generation);
            await store.CommitAsync("events", 3, generation, 42, [User("alice", 40, 7), User("bob", 41, 8)]);
            await store.CommitAsync("events", 3, generation, 43, [User("alice", 42, 9)]);
        }
        await using (var store = await SqliteShardStore.OpenAsync(File))
        {
            Assert.Equal(43, await store.ReadCheckpointAsync("events", 3));
            var alice = await store.ReadUserAsync("alice");
            Assert.Equal(42, alice!.LastOffset);
            Assert.Equal([1, 9, 9], alice.Snapshot);
            Assert.Equal(41, (await store.ReadUserAsync("bob"))!.LastOffset);
            Assert.Null(await store.ReadUserAsync("carol"));
            Assert.Equal([new Owner(3, "node-a", "http://a:8080", 1)], await store.OwnersAsync());
        }
    }

    [Fact]
    public async Task A_zombie_owner_is_fenced_and_writes_nothing()
    {
        await using var store = await SqliteShardStore.OpenAsync(File);
        var old = await store.ClaimAsync(3, "node-a", "a");
        await store.CommitAsync("events", 3, old, 10, [User("alice", 9, 1)]);

        // node-a is presumed dead; node-b takes the partition over.
        var current = await store.ClaimAsync(3, "node-b", "b");
        Assert.Equal(old + 1, current);

        var ex = await Assert.ThrowsAsync<FencedException>(() => store.CommitAsync("events", 3, old, 20, [User("alice", 19, 2)]));
        Assert.Contains("generation 2, not 1", ex.Message);
        Assert.Equal(10, await store.ReadCheckpointAsync("events", 3));
        Assert.Equal(9, (await store.ReadUserAsync("alice"))!.LastOffset);

        await store.CommitAsync("events", 3, current, 20, [User("alice", 19, 2)]);
        Assert.Equal(20, await store.ReadCheckpointAsync("events", 3));
    }

    [Fact]
    public async Task A_released_partition_cannot_be_committed_and_the_next_claim_is_newer()
    {
        await using var store = await SqliteShardStore.OpenAsync(File);
        var g = await store.ClaimAsync(5, "node-a", "a");
        await store.ReleaseAsync(5, g);
        Assert.Empty(await store.OwnersAsync());
        await Assert.ThrowsAsync<FencedException>(() => store.CommitAsync("events", 5, g, 1, []));
        Assert.Equal(g + 1, await store.ClaimAsync(5, "node-b", "b"));
    }

    [Fact]
    public async Task A_store_with_a_newer_schema_is_refused_by_name()
    {
        await using (var store = await SqliteShardStore.OpenAsync(File)) { }
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={File}"))
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_version (version) VALUES (7);";
            await command.ExecuteNonQueryAsync();
        }
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteShardStore.OpenAsync(File));
        Assert.Contains("schema version 7; this build knows up to 1", ex.Message);
    }
}
