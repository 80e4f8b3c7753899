using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RecoActors.Testing;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Storage;

namespace RecoActors.Actors.Tests;

/// <summary>Nodes (consumer + region + store) on librdkafka's mock cluster; run against each store.</summary>
public abstract class ShardRegionContract : IAsyncLifetime
{
    private static readonly ModelOptions Model = new() { Dimension = 32, Segments = 3 };
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private MockKafkaCluster _cluster = null!;
    private KafkaOptions _kafka = null!;
    private IShardStore _store = null!;

    public async Task InitializeAsync()
    {
        _cluster = MockKafkaCluster.Start(3);
        _kafka = new KafkaOptions
        {
            BootstrapServers = _cluster.BootstrapServers, SessionTimeoutMs = 6_000, HeartbeatIntervalMs = 500, MaxPollIntervalMs = 10_000,
        };
        _cluster.CreateTopics(_kafka, 12);
        _store = await OpenStoreAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _cluster.Dispose();
        await DropStoreAsync();
    }

    /// <summary>A new, empty store shared by every node of the test.</summary>
    protected abstract Task<IShardStore> OpenStoreAsync();

    /// <summary>Removes the store.</summary>
    protected abstract Task DropStoreAsync();

    /// <summary>Makes the store unavailable to the nodes (an outage), until <see cref="RestoreStoreAsync"/>.</summary>
    protected abstract Task BreakStoreAsync();

    /// <summary>Ends the outage.</summary>
    protected abstract Task RestoreStoreAsync();

    private sealed record Node(EventConsumer Consumer, NodeActors Actors, DeadLetterWriter DeadLetters, CollectingLoggers Logs) : IAsyncDisposable
    {
        public ShardRegion Region => Actors.Region;
        public bool Killed { get; private set; }
        private bool _disposed;

        public void Kill()
        {
            Killed = true;
            Consumer.Kill();
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                if (!Killed) await Consumer.StopAsync().WaitAsync(Settle);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the node did not stop within {Settle}; its log:\n{string.Join("\n", Logs.All.TakeLast(40))}");
            }
            Consumer.Dispose();
            DeadLetters.Dispose();
            await Actors.DisposeAsync();
        }
    }

    private Node Start(string id, CollectingLoggers? loggers = null, int maxResident = 100_000, int commitEvery = 150, bool exchange = false)
    {
        loggers ??= new CollectingLoggers();
        var actors = NodeActors.Start(new RegionOptions
        {
            NodeId = id, Endpoint = $"http://{id}", Topic = _kafka.EventsTopic, CommitEvery = commitEvery, ContributeEvery = 100,
            MailboxCapacity = 64, MaxResidentUsers = maxResident, MaxRetryDelay = TimeSpan.FromMilliseconds(500),
        }, Model, _store, TimeSpan.FromMilliseconds(50), loggers,
            exchange: exchange ? new PartialExchange(_kafka, id, loggers.CreateLogger("exchange")) : null);
        var deadLetters = DeadLetterWriter.Create(_kafka, NullLogger.Instance, id + "-dlq");
        var consumer = new EventConsumer(_kafka, id, actors.Region, deadLetters, loggers.CreateLogger("consumer"));
        consumer.Start();
        return new Node(consumer, actors, deadLetters, loggers);
    }

    private List<BehaviourEvent> Produce(int count, int seed, long t0, bool withBadRecords, int users = 80)
    {
        var events = Generate(count, seed, t0, users);
        using var producer = EventProducer.Create(_kafka);
        for (var i = 0; i < events.Count; i++)
        {
            producer.Produce(events[i]);
            if (withBadRecords && i % 700 == 0) producer.ProduceRaw(events[i].UserId, "{broken"u8.ToArray());
        }
        producer.Flush(TimeSpan.FromSeconds(30));
        return events;
    }

    private static List<BehaviourEvent> Generate(int count, int seed, long t0, int users)
    {
        var rng = new Random(seed);
        var t = t0;
        var events = Enumerable.Range(0, count)
            .Select(_ => new BehaviourEvent($"u{rng.Next(users)}", $"i{rng.Next(300)}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 1_000_000)))
            .ToList();
        return events;
    }

    private async Task AssertMatchesReference(List<BehaviourEvent> all)
    {
        var reference = new Recommender(Model);
        foreach (var ev in all) reference.Apply(ev);
        var catalog = new ItemCatalog();
        foreach (var (user, expected) in reference.Profiles)
        {
            var saved = ProfileCodec.Decode((await _store.ReadUserAsync(user))!.Snapshot, catalog.GetOrAdd, Model);
            Assert.Equal(all.Count(e => e.UserId == user), saved.EventsApplied);
            Assert.Equal(Bits(expected.Vector), Bits(saved.Vector));
        }
    }

    private async Task<long> CheckpointSum()
    {
        var sum = 0L;
        for (var p = 0; p < 12; p++) sum += await _store.ReadCheckpointAsync(_kafka.EventsTopic, p) ?? 0;
        return sum;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {Settle.TotalSeconds} s: {what}");
            await Task.Delay(50);
        }
    }

    private static byte[] Bits(float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [Fact]
    public async Task One_node_applies_50000_events_of_2000_users_bit_identically_to_the_single_stream_reference()
    {
        var events = Produce(50_000, seed: 7, t0: 1_600_000_000_000, withBadRecords: false, users: 2_000);
        await using (var node = Start("node-a", commitEvery: 2_000))
        {
            await Until(() => node.Region.Applied == events.Count, "all 50,000 events applied");
        }
        Assert.Equal(events.Count, await CheckpointSum());
        await AssertMatchesReference(events);
    }

    [Fact]
    public async Task A_store_outage_pauses_consumption_with_a_rate_limited_error_and_it_resumes_by_itself_losing_nothing()
    {
        var logs = new CollectingLoggers();
        var first = Produce(600, seed: 1, t0: 1_600_000_000_000, withBadRecords: false);
        await using var node = Start("node-a", logs);
        await Until(() => node.Region.Applied == first.Count, "the first 600 events applied");

        await BreakStoreAsync();
        var outage = System.Diagnostics.Stopwatch.StartNew();
        var second = Produce(4_000, seed: 2, t0: 1_700_000_000_000, withBadRecords: false);
        await Until(() => node.Consumer.PausedPartitions > 0, "partitions paused while the store is down");
        await Until(() => logs.Errors.Any(e => e.Contains("store is unavailable")), "the outage logged");
        Assert.False(node.Region.StoreAvailable);
        Assert.True(node.Region.Applied < first.Count + second.Count, "events kept flowing with the store down");

        await RestoreStoreAsync();
        var all = first.Concat(second).ToList();
        await Until(() => node.Region.Applied == all.Count, "every event applied after the store came back");
        await Until(() => node.Consumer.PausedPartitions == 0, "every partition resumed");
        var outageSeconds = outage.Elapsed.TotalSeconds;
        await node.DisposeAsync();

        var outageErrors = logs.Errors.Count(e => e.Contains("store is unavailable"));
        Assert.InRange(outageErrors, 1, 2 + (int)(outageSeconds / 5));
        Assert.Equal(all.Count, await CheckpointSum());
        await AssertMatchesReference(all);
    }

    [Fact]
    public async Task A_node_started_during_a_store_outage_waits_and_then_starts_every_partition_from_its_checkpoint()
    {
        var first = Produce(600, seed: 1, t0: 1_600_000_000_000, withBadRecords: false);
        await using (var node = Start("node-a"))
            await Until(() => node.Region.Applied == first.Count, "the first 600 events applied");

        await BreakStoreAsync();
        var second = Produce(900, seed: 2, t0: 1_700_000_000_000, withBadRecords: false);
        await using var restarted = Start("node-b");
        await Until(() => restarted.Consumer.PausedPartitions == 12, "every partition waits for the store");
        Assert.Equal(0, restarted.Region.Applied);
        Assert.Empty(restarted.Region.Partitions);

        await RestoreStoreAsync();
        await Until(() => restarted.Region.Applied == second.Count, "the 900 new events applied, and only those");
        await restarted.DisposeAsync();
        var all = first.Concat(second).ToList();
        Assert.Equal(all.Count, await CheckpointSum());
        await AssertMatchesReference(all);
    }

    [Fact]
    public async Task With_1000_resident_users_of_10000_active_residency_stays_bounded_and_results_are_unchanged()
    {
        var events = Produce(40_000, seed: 3, t0: 1_600_000_000_000, withBadRecords: false, users: 10_000);
        await using (var node = Start("node-a", maxResident: 1_000, commitEvery: 1_000))
        {
            await Until(() => node.Region.Applied == events.Count, "all 40,000 events applied");
            // Each shard may exceed the node's limit by the one user it just loaded.
            Assert.InRange(node.Region.Residents.Peak, 900, 1_000 + 12);
            Assert.InRange(node.Region.Residents.Count, 1, 1_000 + 12);
        }
        Assert.True(events.Select(e => e.UserId).Distinct().Count() > 9_750, "the stream really has ~10,000 active users");
        Assert.Equal(events.Count, await CheckpointSum());
        await AssertMatchesReference(events);
    }

    [Fact]
    public async Task Nodes_exchange_segment_partials_and_every_node_holds_the_same_model_of_all_partitions()
    {
        await using var a = Start("node-a", exchange: true);
        await using var b = Start("node-b", exchange: true);
        await Until(() => a.Region.Partitions.Count > 0 && b.Region.Partitions.Count > 0 && a.Region.Partitions.Count + b.Region.Partitions.Count == 12,
            "a and b share the partitions");
        var events = Produce(3_000, seed: 4, t0: 1_600_000_000_000, withBadRecords: false);
        await Until(() => a.Region.Applied + b.Region.Applied == events.Count, "every event applied");
        Assert.True(a.Region.Applied > 0 && b.Region.Applied > 0, "both nodes applied events of their own partitions");

        // Each node's model takes in every node's statistics, not just its own partitions'.
        await Until(() => a.Actors.EventsFolded == events.Count && b.Actors.EventsFolded == events.Count, "both models folded all 3,000 events");
        var (sa, sb) = (a.Actors.Model.Current, b.Actors.Model.Current);
        Assert.Equal(sa.Version, sb.Version);
        Assert.Equal(sa.Weights, sb.Weights);
        for (var k = 0; k < Model.Segments; k++)
        {
            Assert.Equal(Bits(sa.Centroid(k).ToArray()), Bits(sb.Centroid(k).ToArray()));
            Assert.Equal(sa.TopItems(k, 20), sb.TopItems(k, 20));
        }
        Assert.True(sa.Weights.Sum() > 0, "the model learned something");
    }

    [Fact]
    public async Task A_restarted_node_resumes_every_partition_from_its_checkpoint_exactly()
    {
        var first = Produce(2_000, seed: 1, t0: 1_600_000_000_000, withBadRecords: true);
        await using (var node = Start("node-a"))
        {
            await Until(() => node.Region.Applied == first.Count, "the first 2,000 events applied");
        }
        // Stopped gracefully: every partition was committed and released.
        Assert.Empty(await _store.OwnersAsync());

        var second = Produce(1_000, seed: 2, t0: 1_700_000_000_000, withBadRecords: false);
        await using (var node = Start("node-a"))
        {
            await Until(() => node.Region.Applied == second.Count, "the next 1,000 events applied");
            Assert.Equal(12, node.Region.Partitions.Count);
        }

        var all = first.Concat(second).ToList();
        Assert.Equal(all.Count + 3, await CheckpointSum());
        await AssertMatchesReference(all);
    }

    [Fact]
    public async Task Three_nodes_with_a_join_a_kill_and_a_graceful_leave_mid_stream_lose_nothing_and_apply_nothing_twice()
    {
        var all = new List<BehaviourEvent>();
        var t0 = 1_600_000_000_000L;
        void ProduceBatch(int seed) { all.AddRange(Produce(600, seed, t0 += 100_000_000_000, withBadRecords: false)); }

        await using var a = Start("node-a");
        await using var b = Start("node-b");
        ProduceBatch(1);
        await Until(() => a.Region.Partitions.Count + b.Region.Partitions.Count == 12 && b.Region.Partitions.Count > 0, "a and b share the partitions");

        // A third node joins while events flow.
        var c = Start("node-c");
        ProduceBatch(2);
        await Until(() => c.Region.Partitions.Count > 0 && a.Region.Partitions.Count + b.Region.Partitions.Count + c.Region.Partitions.Count == 12,
            "c took partitions over");
        ProduceBatch(3);

        // b dies: no revoke, no flush, no leave; its partitions move when its session times out.
        await Until(() => b.Region.Applied > 0, "b applied something");
        b.Kill();
        ProduceBatch(4);
        await Until(() => a.Region.Partitions.Count + c.Region.Partitions.Count == 12, "a and c took b's partitions over");

        // c leaves gracefully while events still flow.
        ProduceBatch(5);
        await c.DisposeAsync();
        ProduceBatch(6);
        await Until(() => a.Region.Partitions.Count == 12, "a holds everything");

        await Until(() => a.Region.Position == all.Count, "every record consumed");
        // A graceful stop commits every partition through revocation.
        await a.DisposeAsync();
        Assert.Equal(all.Count, await CheckpointSum());
        Assert.Empty(await _store.OwnersAsync());
        await AssertMatchesReference(all);
    }
}

public sealed class SqliteShardRegionTests : ShardRegionContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("reco-region-").FullName;

    protected override async Task<IShardStore> OpenStoreAsync() => await SqliteShardStore.OpenAsync(Path.Combine(_folder, "reco.db"));

    private SqliteConnection? _lock;

    protected override Task DropStoreAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Another process holds the file's write lock.</summary>
    protected override async Task BreakStoreAsync()
    {
        _lock = new SqliteConnection($"Data Source={Path.Combine(_folder, "reco.db")};Pooling=False");
        await _lock.OpenAsync();
        await using var begin = new SqliteCommand("BEGIN EXCLUSIVE;", _lock);
        await begin.ExecuteNonQueryAsync();
    }

    protected override async Task RestoreStoreAsync()
    {
        await using (var rollback = new SqliteCommand("ROLLBACK;", _lock))
            await rollback.ExecuteNonQueryAsync();
        await _lock!.DisposeAsync();
    }
}

/// <summary>Against Debian's PostgreSQL (see <see cref="PostgresTestDatabase"/>); a database per test.</summary>
public sealed class PostgresShardRegionTests : ShardRegionContract
{
    private PostgresTestDatabase _database = null!;

    protected override async Task<IShardStore> OpenStoreAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync("reco_region_");
        return await PostgresShardStore.OpenAsync(_database.ConnectionString);
    }

    protected override async Task DropStoreAsync() => await _database.DisposeAsync();

    /// <summary>
    /// The database refuses connections and cuts open ones. (Stopping the server itself would take down the other
    /// test classes' databases, which run in parallel; to the node both look the same.)
    /// </summary>
    protected override Task BreakStoreAsync() => _database.GoOfflineAsync();

    protected override Task RestoreStoreAsync() => _database.GoOnlineAsync();
}
