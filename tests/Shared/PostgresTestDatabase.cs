using Npgsql;

namespace RecoActors.Testing;

/// <summary>
/// A database of its own for one test, on the PostgreSQL that <c>./reco test</c> starts on 127.0.0.1 and names in
/// RECO_TEST_POSTGRES; dropped on dispose.
/// </summary>
internal sealed class PostgresTestDatabase : IAsyncDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private PostgresTestDatabase(string admin, string name)
    {
        _admin = admin;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
    }

    /// <summary>Connects to the test's database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates an empty database named after <paramref name="prefix"/>.</summary>
    public static async Task<PostgresTestDatabase> CreateAsync(string prefix)
    {
        var admin = Environment.GetEnvironmentVariable("RECO_TEST_POSTGRES")
            ?? throw new InvalidOperationException("RECO_TEST_POSTGRES is not set: run the tests with ./reco test, which starts PostgreSQL");
        var name = prefix + Guid.NewGuid().ToString("N")[..12];
        await RunAsync(admin, $"CREATE DATABASE {name};");
        return new PostgresTestDatabase(admin, name);
    }

    /// <summary>Runs one statement in the test's database.</summary>
    public Task ExecuteAsync(string sql) => RunAsync(ConnectionString, sql);

    /// <summary>An outage: new connections to the database are refused and open ones are cut.</summary>
    public async Task GoOfflineAsync()
    {
        await RunAsync(_admin, $"ALTER DATABASE {_name} ALLOW_CONNECTIONS false;");
        await RunAsync(_admin, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_name}';");
    }

    /// <summary>Ends the outage.</summary>
    public Task GoOnlineAsync() => RunAsync(_admin, $"ALTER DATABASE {_name} ALLOW_CONNECTIONS true;");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync(_admin, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE);");
    }

    private static async Task RunAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
