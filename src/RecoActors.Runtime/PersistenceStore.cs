using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace RecoActors.Runtime;

/// <summary>Where Akka.Persistence keeps the partitions' journals and snapshots.</summary>
/// <param name="Kind"><c>sqlite</c>, <c>postgres</c>, or <c>memory</c> (nothing survives the process: benchmarks, tests).</param>
/// <param name="ConnectionString">The driver's connection string (never logged).</param>
public sealed record PersistenceStore(string Kind, string ConnectionString)
{
    /// <summary>A SQLite file, created if missing and switched to WAL so that several nodes of one process can share it.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be created or opened.</exception>
    public static PersistenceStore Sqlite(string path)
    {
        var store = new PersistenceStore("sqlite", new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        store.Check(wal: true);
        return store;
    }

    /// <summary>A PostgreSQL database, checked by opening one connection.</summary>
    /// <exception cref="InvalidOperationException">The database cannot be reached.</exception>
    public static PersistenceStore Postgres(string connectionString)
    {
        var store = new PersistenceStore("postgres", connectionString);
        store.Check(wal: false);
        return store;
    }

    /// <summary>Nothing persisted beyond the process.</summary>
    public static PersistenceStore Memory { get; } = new("memory", "");

    /// <summary>
    /// Holds the store's schema lock until disposed (PostgreSQL: a session advisory lock), so that nodes starting
    /// together on a new database create Akka.Persistence.Sql's tables one at a time: two sessions running CREATE TABLE
    /// IF NOT EXISTS at once fail in PostgreSQL's catalogue (duplicate key in pg_type), and the losing node's journal
    /// failed its start (seen with three nodes started at once). Other stores have nothing to hold.
    /// </summary>
    public async Task<IAsyncDisposable> LockSchemaAsync(CancellationToken cancellationToken = default)
    {
        if (Kind != "postgres") return NoLock.Instance;
        // A session of its own, outside the pool: disposing the connection ends the session, which releases the lock.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({SchemaLockKey})", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The advisory lock's key (the serializer's id: any number the database's other users do not take).</summary>
    private const long SchemaLockKey = 7301;

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    // One connection at start, so a wrong path, host or password stops the node with the driver's sentence (which never
    // repeats the password) instead of failing every partition's recovery later.
    private void Check(bool wal)
    {
        if (Kind == "memory") return;
        try
        {
            using DbConnection connection = Kind == "postgres" ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString);
            connection.Open();
            if (!wal) return;
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
        }
        catch (Exception ex) when (ex is DbException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"the {Kind} store (Reco:Store) cannot be opened: {ex.Message}", ex);
        }
    }
}
