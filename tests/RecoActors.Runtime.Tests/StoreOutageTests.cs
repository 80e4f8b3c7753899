using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Testing;

namespace RecoActors.Runtime.Tests;

/// <summary>
/// The store goes away while events arrive: ingest pauses with a rate-limited warning, the node stays up and in the
/// cluster, and once the store is back it resumes by itself and loses nothing. Run against each store.
/// </summary>
public abstract class StoreOutageContract : IAsyncLifetime
{
    private const int Partitions = 12;
    private static readonly ModelOptions Model = new() { Dimension = 32, Segments = 3 };
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(120);
    private readonly MemoryFeed _feed = new(Partitions);
    private PersistenceStore _store = null!;

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        _feed.Dispose();
        await DropStoreAsync();
    }

    protected abstract Task<PersistenceStore> CreateStoreAsync();

    protected abstract Task DropStoreAsync();

    /// <summary>Makes the store unavailable, until <see cref="RestoreStoreAsync"/>.</summary>
    protected abstract Task BreakStoreAsync();

    protected abstract Task RestoreStoreAsync();

    private List<BehaviourEvent> Append(int count, int seed, long t0)
    {
        var rng = new Random(seed);
        var t = t0;
        var events = Enumerable.Range(0, count)
            .Select(_ => new BehaviourEvent($"u{rng.Next(80)}", $"i{rng.Next(300)}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 1_000_000)))
            .ToList();
        foreach (var ev in events) _feed.Append(Murmur2Partitioner.Partition(ev.UserId, Partitions), ev);
        return events;
    }

    private long Durable() => Enumerable.Range(0, Partitions).Sum(_feed.CommittedOffset);

    [Fact]
    public async Task Ingest_pauses_with_a_rate_limited_warning_and_resumes_by_itself_losing_nothing()
    {
        await using var node = await TestNode.StartAsync("node-a", _store, _feed, Partitions, Model,
            // Fewer resident users than active ones: users left running by a partition actor that failed must be adopted, or they hold the room for good.
            new RuntimeOptions { CommitInterval = TimeSpan.FromMilliseconds(300), MaxInFlight = 256, MaxResidentUsers = 40 });
        var first = Append(600, seed: 1, t0: 1_600_000_000_000);
        await Eventually.True(() => Durable() == first.Count, Within, "the first 600 events durable");

        await BreakStoreAsync();
        var outage = System.Diagnostics.Stopwatch.StartNew();
        var second = Append(4_000, seed: 2, t0: 1_700_000_000_000);
        await Eventually.True(() => node.Context.StoreTrouble.Failures >= 3, Within, "commits failing while the store is down");
        Assert.True(Durable() < first.Count + second.Count, "nothing became durable without the store");
        Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(node.System).SelfMember.Status);

        await RestoreStoreAsync();
        var all = first.Concat(second).ToList();
        await Eventually.True(() => Durable() == all.Count, Within, () => $"every event durable after the store came back; durable {Durable()} of {all.Count}, applied {node.Context.Applied}, partitions {string.Join(" ", node.Context.Progress.Select(p => $"{p.Partition}:{p.Checkpoint}/{p.Position}{(p.Running ? "" : "!")}"))}");
        var seconds = outage.Elapsed.TotalSeconds;
        Assert.InRange(node.Context.StoreTrouble.Lines, 1, 2 + (long)(seconds / StoreTrouble.Interval.TotalSeconds));

        var reference = new Recommender(Model);
        foreach (var ev in all) reference.Apply(ev);
        var catalog = new ItemCatalog();
        foreach (var (user, expected) in reference.Profiles)
        {
            var profile = (await node.ReadAsync(user)).Profile!.ToProfile(catalog.GetOrAdd, Model);
            Assert.Equal(all.Count(e => e.UserId == user), profile.EventsApplied);
            Assert.Equal(expected.Vector.Select(BitConverter.SingleToInt32Bits), profile.Vector.Select(BitConverter.SingleToInt32Bits));
        }
    }
}

/// <summary>SQLite, its file locked by another connection's exclusive transaction.</summary>
public sealed class SqliteStoreOutageTests : StoreOutageContract
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-outage-");
    private Microsoft.Data.Sqlite.SqliteConnection? _lock;

    protected override Task<PersistenceStore> CreateStoreAsync() => Task.FromResult(TestNode.Sqlite(_folder.FullName));

    protected override Task DropStoreAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    protected override async Task BreakStoreAsync()
    {
        _lock = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder.FullName, "reco.db")};Pooling=False");
        await _lock.OpenAsync();
        await using var begin = _lock.CreateCommand();
        begin.CommandText = "BEGIN EXCLUSIVE;";
        await begin.ExecuteNonQueryAsync();
    }

    protected override async Task RestoreStoreAsync()
    {
        await using (var rollback = _lock!.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }
        await _lock.DisposeAsync();
    }
}

/// <summary>PostgreSQL refusing connections to the database (and ending the ones open).</summary>
public sealed class PostgresStoreOutageTests : StoreOutageContract
{
    private PostgresTestDatabase? _database;

    protected override async Task<PersistenceStore> CreateStoreAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync("reco_outage_");
        return new PersistenceStore("postgres", _database.ConnectionString + ";Maximum Pool Size=20");
    }

    protected override async Task DropStoreAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (_database is not null) await _database.DisposeAsync();
    }

    protected override Task BreakStoreAsync() => _database!.GoOfflineAsync();

    protected override Task RestoreStoreAsync() => _database!.GoOnlineAsync();
}
