using Npgsql;
using NpgsqlTypes;

namespace RecoActors.Storage;

/// <summary>The cluster store: PostgreSQL, shared by every node. Schema created and migrated at open.</summary>
public sealed class PostgresShardStore : IShardStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    public const int SchemaVersion = 1;

    private readonly NpgsqlDataSource _source;

    private PostgresShardStore(NpgsqlDataSource source) => _source = source;

    /// <summary>Connects, creating or migrating the schema.</summary>
    /// <exception cref="InvalidOperationException">The database has a newer schema than this build knows.</exception>
    public static async Task<PostgresShardStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var source = NpgsqlDataSource.Create(connectionString);
        var store = new PostgresShardStore(source);
        try
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // One migrator at a time when several nodes start together.
            await Execute(connection, transaction, "SELECT pg_advisory_xact_lock(7372001);", cancellationToken).ConfigureAwait(false);
            await Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", cancellationToken).ConfigureAwait(false);
            await using (var read = new NpgsqlCommand("SELECT MAX(version) FROM schema_version;", connection, transaction))
            {
                var current = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v ? v : 0;
                if (current > SchemaVersion)
                    throw new InvalidOperationException($"store has schema version {current}; this build knows up to {SchemaVersion}");
                if (current < 1)
                    await Execute(connection, transaction, """
                        CREATE TABLE users (user_id TEXT PRIMARY KEY, partition INTEGER NOT NULL, last_offset BIGINT NOT NULL, snapshot BYTEA NOT NULL);
                        CREATE TABLE checkpoints (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (topic, partition));
                        CREATE TABLE owners (partition INTEGER PRIMARY KEY, node TEXT NOT NULL, endpoint TEXT NOT NULL, generation BIGINT NOT NULL);
                        INSERT INTO schema_version (version) VALUES (1);
                        """, cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<long?> ReadCheckpointAsync(string topic, int partition, CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand("SELECT next_offset FROM checkpoints WHERE topic = $1 AND partition = $2;");
        command.Parameters.Add(new() { Value = topic });
        command.Parameters.Add(new() { Value = partition });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long offset ? offset : null;
    }

    /// <inheritdoc />
    public async Task<UserRecord?> ReadUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand("SELECT partition, last_offset, snapshot FROM users WHERE user_id = $1;");
        command.Parameters.Add(new() { Value = userId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new UserRecord(userId, reader.GetInt32(0), reader.GetInt64(1), (byte[])reader[2]);
    }

    /// <inheritdoc />
    public async Task CommitAsync(string topic, int partition, long generation, long nextOffset, IReadOnlyCollection<UserRecord> users,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // FOR UPDATE holds the owner row until commit, so a claim cannot slip between the check and the writes.
        await using (var fence = new NpgsqlCommand("SELECT generation FROM owners WHERE partition = $1 AND node <> '' FOR UPDATE;", connection, transaction))
        {
            fence.Parameters.Add(new() { Value = partition });
            var owner = await fence.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
            if (owner != generation)
                throw new FencedException($"partition {partition} is owned by generation {owner?.ToString() ?? "none"}, not {generation}");
        }
        if (users.Count > 0)
        {
            var batch = new NpgsqlBatch(connection, transaction);
            foreach (var record in users)
            {
                var upsert = new NpgsqlBatchCommand("""
                    INSERT INTO users (user_id, partition, last_offset, snapshot) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (user_id) DO UPDATE SET partition = EXCLUDED.partition, last_offset = EXCLUDED.last_offset, snapshot = EXCLUDED.snapshot;
                    """);
                upsert.Parameters.Add(new() { Value = record.UserId });
                upsert.Parameters.Add(new() { Value = record.Partition });
                upsert.Parameters.Add(new() { Value = record.LastOffset });
                upsert.Parameters.Add(new() { Value = record.Snapshot, NpgsqlDbType = NpgsqlDbType.Bytea });
                batch.BatchCommands.Add(upsert);
            }
            await using (batch) await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var checkpoint = new NpgsqlCommand("""
            INSERT INTO checkpoints (topic, partition, next_offset) VALUES ($1, $2, $3)
            ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset;
            """, connection, transaction))
        {
            checkpoint.Parameters.Add(new() { Value = topic });
            checkpoint.Parameters.Add(new() { Value = partition });
            checkpoint.Parameters.Add(new() { Value = nextOffset });
            await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> ClaimAsync(int partition, string node, string endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        await using var command = _source.CreateCommand("""
            INSERT INTO owners (partition, node, endpoint, generation) VALUES ($1, $2, $3, 1)
            ON CONFLICT (partition) DO UPDATE SET node = EXCLUDED.node, endpoint = EXCLUDED.endpoint, generation = owners.generation + 1
            RETURNING generation;
            """);
        command.Parameters.Add(new() { Value = partition });
        command.Parameters.Add(new() { Value = node });
        command.Parameters.Add(new() { Value = endpoint ?? "" });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task ReleaseAsync(int partition, long generation, CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand("UPDATE owners SET node = '', endpoint = '' WHERE partition = $1 AND generation = $2;");
        command.Parameters.Add(new() { Value = partition });
        command.Parameters.Add(new() { Value = generation });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Owner>> OwnersAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand("SELECT partition, node, endpoint, generation FROM owners WHERE node <> '' ORDER BY partition;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var owners = new List<Owner>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            owners.Add(new Owner(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        return owners;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
