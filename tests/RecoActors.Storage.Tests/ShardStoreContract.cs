using Microsoft.Data.Sqlite;
using RecoActors.Testing;

namespace RecoActors.Storage.Tests;

/// <summary>What every store must do; run against SQLite and PostgreSQL alike.</summary>
public abstract class ShardStoreContract : IAsyncLifetime
{
    /// <summary>Opens the store under test (again, for the reopen test).</summary>
    protected abstract Task<IShardStore> OpenAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static UserRecord User(string id, long offset, byte fill) => new(id, 3, offset, [1, fill, fill]);

    [Fact]
    public async Task A_zombie_owner_is_fenced_and_writes_nothing()
    {
        await using var store = await OpenAsync();
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
        await using var store = await OpenAsync();
        var g = await store.ClaimAsync(5, "node-a", "a");
        await store.ReleaseAsync(5, g);
        Assert.Empty(await store.OwnersAsync());
        await Assert.ThrowsAsync<FencedException>(() => store.CommitAsync("events", 5, g, 1, []));
        Assert.Equal(g + 1, await store.ClaimAsync(5, "node-b", "b"));
    }

}

/// <summary>What a store that outlives the process must also do: keep commits across reopens, refuse a newer schema.</summary>
public abstract class DurableShardStoreContract : ShardStoreContract
{
    /// <summary>Marks the store's schema as <paramref name="version"/>, as a newer build would.</summary>
    protected abstract Task SetSchemaVersionAsync(int version);

    [Fact]
    public async Task Users_and_the_checkpoint_are_committed_together_and_survive_a_reopen()
    {
        await using (var store = await OpenAsync())
        {
            Assert.Null(await store.ReadCheckpointAsync("events", 3));
            var generation = await store.ClaimAsync(3, "node-a", "http://a:8080");
            Assert.Equal(1, generation);
            await store.CommitAsync("events", 3, generation, 42, [User("alice", 40, 7), User("bob", 41, 8)]);
            await store.CommitAsync("events", 3, generation, 43, [User("alice", 42, 9)]);
        }
        await using (var store = await OpenAsync())
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
    public async Task A_store_with_a_newer_schema_is_refused()
    {
        await using (await OpenAsync()) { }
        await SetSchemaVersionAsync(7);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(OpenAsync);
        Assert.Contains("schema version 7; this build knows up to 1", ex.Message);
    }
}

/// <summary>The in-memory store: the same commits, fencing and ownership, within one process.</summary>
public sealed class InMemoryShardStoreTests : ShardStoreContract
{
    private readonly InMemoryShardStore _store = new();

    protected override Task<IShardStore> OpenAsync() => Task.FromResult<IShardStore>(new Borrowed(_store));

    /// <summary>Shares one store across "opens" and ignores dispose.</summary>
    private sealed class Borrowed(InMemoryShardStore inner) : IShardStore
    {
        public Task<long?> ReadCheckpointAsync(string t, int p, CancellationToken c = default) => inner.ReadCheckpointAsync(t, p, c);
        public Task<UserRecord?> ReadUserAsync(string u, CancellationToken c = default) => inner.ReadUserAsync(u, c);
        public Task CommitAsync(string t, int p, long g, long n, IReadOnlyCollection<UserRecord> u, CancellationToken c = default) => inner.CommitAsync(t, p, g, n, u, c);
        public Task<long> ClaimAsync(int p, string n, string e, CancellationToken c = default) => inner.ClaimAsync(p, n, e, c);
        public Task ReleaseAsync(int p, long g, CancellationToken c = default) => inner.ReleaseAsync(p, g, c);
        public Task<IReadOnlyList<Owner>> OwnersAsync(CancellationToken c = default) => inner.OwnersAsync(c);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed class SqliteShardStoreTests : DurableShardStoreContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("reco-store-").FullName;
    private string File => Path.Combine(_folder, "reco.db");

    protected override async Task<IShardStore> OpenAsync() => await SqliteShardStore.OpenAsync(File);

    protected override async Task SetSchemaVersionAsync(int version)
    {
        await using var connection = new SqliteConnection($"Data Source={File}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO schema_version (version) VALUES ({version});";
        await command.ExecuteNonQueryAsync();
    }

    public override Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>Against Debian's PostgreSQL (see <see cref="PostgresTestDatabase"/>); a database per test.</summary>
public sealed class PostgresShardStoreTests : DurableShardStoreContract
{
    private PostgresTestDatabase _database = null!;

    public override async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync("reco_test_");

    public override async Task DisposeAsync() => await _database.DisposeAsync();

    protected override async Task<IShardStore> OpenAsync() => await PostgresShardStore.OpenAsync(_database.ConnectionString);

    protected override Task SetSchemaVersionAsync(int version) => _database.ExecuteAsync($"INSERT INTO schema_version (version) VALUES ({version});");
}
