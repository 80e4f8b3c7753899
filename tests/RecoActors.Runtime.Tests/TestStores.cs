using RecoActors.Testing;

namespace RecoActors.Runtime.Tests;

/// <summary>A store of a test's own, shared by its nodes, that a test can also take away for a while.</summary>
public abstract class TestStore : IAsyncDisposable
{
    /// <summary>What the nodes are configured with.</summary>
    public abstract PersistenceStore Store { get; }

    /// <summary>Makes the store unavailable to the nodes, until <see cref="RestoreAsync"/>.</summary>
    public abstract Task BreakAsync();

    /// <summary>Ends the outage.</summary>
    public abstract Task RestoreAsync();

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();
}

/// <summary>A SQLite file in a folder of its own (WAL, so several nodes in one process share it); an outage is another connection's exclusive lock.</summary>
public sealed class SqliteTestStore : TestStore
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-store-");
    private Microsoft.Data.Sqlite.SqliteConnection? _lock;

    /// <summary>Creates the file.</summary>
    public SqliteTestStore() => Store = TestNode.Sqlite(_folder.FullName);

    /// <inheritdoc />
    public override PersistenceStore Store { get; }

    /// <inheritdoc />
    public override async Task BreakAsync()
    {
        _lock = new Microsoft.Data.Sqlite.SqliteConnection(Store.ConnectionString + ";Pooling=False");
        await _lock.OpenAsync();
        await using var begin = _lock.CreateCommand();
        begin.CommandText = "BEGIN EXCLUSIVE;";
        await begin.ExecuteNonQueryAsync();
    }

    /// <inheritdoc />
    public override async Task RestoreAsync()
    {
        await using (var rollback = _lock!.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }
        await _lock.DisposeAsync();
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A database of its own on the PostgreSQL that <c>./reco test</c> starts; an outage refuses connections and ends the open ones.</summary>
public sealed class PostgresTestStore : TestStore
{
    private readonly PostgresTestDatabase _database;

    private PostgresTestStore(PostgresTestDatabase database)
    {
        _database = database;
        Store = new PersistenceStore("postgres", database.ConnectionString + ";Maximum Pool Size=20");
    }

    /// <summary>Creates the database.</summary>
    public static async Task<TestStore> CreateAsync() => new PostgresTestStore(await PostgresTestDatabase.CreateAsync("reco_test_"));

    /// <inheritdoc />
    public override PersistenceStore Store { get; }

    /// <inheritdoc />
    public override Task BreakAsync() => _database.GoOfflineAsync();

    /// <inheritdoc />
    public override Task RestoreAsync() => _database.GoOnlineAsync();

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
    }
}
