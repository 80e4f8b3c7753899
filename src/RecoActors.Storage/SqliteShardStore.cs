using Microsoft.Data.Sqlite;

namespace RecoActors.Storage;

/// <summary>The embedded store: one SQLite file in WAL mode. Schema created and migrated at open.</summary>
public sealed class SqliteShardStore : IShardStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    public const int SchemaVersion = 1;

    private readonly string _connectionString;

    private SqliteShardStore(string connectionString) => _connectionString = connectionString;

    /// <summary>Opens (creating or migrating) the store in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The file has a newer schema than this build knows.</exception>
    public static async Task<SqliteShardStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 5 };
        var store = new SqliteShardStore(builder.ToString());
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await Execute(connection, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        await Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", cancellationToken).ConfigureAwait(false);
        var version = await Scalar(connection, "SELECT MAX(version) FROM schema_version;", cancellationToken).ConfigureAwait(false);
        var current = version is long v ? (int)v : 0;
        if (current > SchemaVersion)
            throw new InvalidOperationException($"store '{path}' has schema version {current}; this build knows up to {SchemaVersion}");
        if (current < 1)
        {
            await Execute(connection, """
                CREATE TABLE users (user_id TEXT PRIMARY KEY, partition INTEGER NOT NULL, last_offset INTEGER NOT NULL, snapshot BLOB NOT NULL);
                CREATE TABLE checkpoints (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition));
                CREATE TABLE owners (partition INTEGER PRIMARY KEY, node TEXT NOT NULL, endpoint TEXT NOT NULL, generation INTEGER NOT NULL);
                INSERT INTO schema_version (version) VALUES (1);
                """, cancellationToken).ConfigureAwait(false);
        }
        return store;
    }

    /// <inheritdoc />
    public async Task<long?> ReadCheckpointAsync(string topic, int partition, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT next_offset FROM checkpoints WHERE topic = $topic AND partition = $partition;";
        command.Parameters.AddWithValue("$topic", topic);
        command.Parameters.AddWithValue("$partition", partition);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long offset ? offset : null;
    }

    /// <inheritdoc />
    public async Task<UserRecord?> ReadUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT partition, last_offset, snapshot FROM users WHERE user_id = $user;";
        command.Parameters.AddWithValue("$user", userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new UserRecord(userId, reader.GetInt32(0), reader.GetInt64(1), (byte[])reader[2]);
    }

    /// <inheritdoc />
    public async Task CommitAsync(string topic, int partition, long generation, long nextOffset, IReadOnlyCollection<UserRecord> users,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // BEGIN IMMEDIATE takes the write lock first, so the fence check and the writes see the same owner.
        await using var transaction = connection.BeginTransaction(deferred: false);

        await using (var fence = connection.CreateCommand())
        {
            fence.Transaction = transaction;
            fence.CommandText = "SELECT generation FROM owners WHERE partition = $partition AND node <> '';";
            fence.Parameters.AddWithValue("$partition", partition);
            var owner = await fence.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
            if (owner != generation)
                throw new FencedException($"partition {partition} is owned by generation {owner?.ToString() ?? "none"}, not {generation}");
        }
        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO users (user_id, partition, last_offset, snapshot) VALUES ($user, $partition, $offset, $snapshot)
                ON CONFLICT (user_id) DO UPDATE SET partition = excluded.partition, last_offset = excluded.last_offset, snapshot = excluded.snapshot;
                """;
            var user = upsert.Parameters.Add("$user", SqliteType.Text);
            var part = upsert.Parameters.Add("$partition", SqliteType.Integer);
            var offset = upsert.Parameters.Add("$offset", SqliteType.Integer);
            var snapshot = upsert.Parameters.Add("$snapshot", SqliteType.Blob);
            foreach (var record in users)
            {
                user.Value = record.UserId;
                part.Value = record.Partition;
                offset.Value = record.LastOffset;
                snapshot.Value = record.Snapshot;
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        await using (var checkpoint = connection.CreateCommand())
        {
            checkpoint.Transaction = transaction;
            checkpoint.CommandText = """
                INSERT INTO checkpoints (topic, partition, next_offset) VALUES ($topic, $partition, $next)
                ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset;
                """;
            checkpoint.Parameters.AddWithValue("$topic", topic);
            checkpoint.Parameters.AddWithValue("$partition", partition);
            checkpoint.Parameters.AddWithValue("$next", nextOffset);
            await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> ClaimAsync(int partition, string node, string endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO owners (partition, node, endpoint, generation) VALUES ($partition, $node, $endpoint, 1)
            ON CONFLICT (partition) DO UPDATE SET node = excluded.node, endpoint = excluded.endpoint, generation = owners.generation + 1
            RETURNING generation;
            """;
        command.Parameters.AddWithValue("$partition", partition);
        command.Parameters.AddWithValue("$node", node);
        command.Parameters.AddWithValue("$endpoint", endpoint ?? "");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task ReleaseAsync(int partition, long generation, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE owners SET node = '', endpoint = '' WHERE partition = $partition AND generation = $generation;";
        command.Parameters.AddWithValue("$partition", partition);
        command.Parameters.AddWithValue("$generation", generation);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Owner>> OwnersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT partition, node, endpoint, generation FROM owners WHERE node <> '' ORDER BY partition;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var owners = new List<Owner>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            owners.Add(new Owner(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        return owners;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await Execute(connection, "PRAGMA busy_timeout=5000;", cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static async Task Execute(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> Scalar(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
