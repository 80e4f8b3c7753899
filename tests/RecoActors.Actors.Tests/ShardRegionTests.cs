using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Storage;

namespace RecoActors.Actors.Tests;

/// <summary>A node (consumer + region + SQLite) on librdkafka's mock cluster.</summary>
public sealed class ShardRegionTests : IAsyncLifetime
{
    private static readonly ModelOptions Model = new() { Dimension = 32, Segments = 3 };
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private readonly string _folder = Directory.CreateTempSubdirectory("reco-region-").FullName;
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
        _cluster.CreateTopic(_kafka.EventsTopic, 12);
        _cluster.CreateTopic(_kafka.DeadLetterTopic, 1);
        _store = await SqliteShardStore.OpenAsync(Path.Combine(_folder, "reco.db"));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _cluster.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private sealed record Node(EventConsumer Consumer, ShardRegion Region, DeadLetterWriter DeadLetters) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Consumer.StopAsync().WaitAsync(Settle);
            Consumer.Dispose();
            DeadLetters.Dispose();
        }
    }

    private Node Start(string id)
    {
        var catalog = new ItemCatalog();
        var region = new ShardRegion(id, $"http://{id}", _store, new GlobalModel(Model, catalog), catalog, _kafka.EventsTopic,
            NullLogger.Instance, commitEvery: 150, foldEvery: 100);
        var deadLetters = DeadLetterWriter.Create(_kafka, NullLogger.Instance, id + "-dlq");
        var consumer = new EventConsumer(_kafka, id, region, deadLetters, NullLogger.Instance);
        consumer.Start();
        return new Node(consumer, region, deadLetters);
    }

    private List<BehaviourEvent> Produce(int count, int seed, long t0, bool withBadRecords)
    {
        var rng = new Random(seed);
        var t = t0;
        var events = Enumerable.Range(0, count)
            .Select(_ => new BehaviourEvent($"u{rng.Next(80)}", $"i{rng.Next(300)}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 1_000_000)))
            .ToList();
        using var producer = EventProducer.Create(_kafka);
        for (var i = 0; i < events.Count; i++)
        {
            producer.Produce(events[i]);
            if (withBadRecords && i % 700 == 0) producer.ProduceRaw(events[i].UserId, "{broken"u8.ToArray());
        }
        producer.Flush(TimeSpan.FromSeconds(30));
        return events;
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
        var reference = new Recommender(Model);
        foreach (var ev in all) reference.Apply(ev);

        var checkpoints = 0L;
        for (var p = 0; p < 12; p++) checkpoints += await _store.ReadCheckpointAsync(_kafka.EventsTopic, p) ?? 0;
        Assert.Equal(all.Count + 3, checkpoints);
        var catalog = new ItemCatalog();
        foreach (var (user, expected) in reference.Profiles)
        {
            var saved = ProfileCodec.Decode((await _store.ReadUserAsync(user))!.Snapshot, catalog.GetOrAdd, Model);
            Assert.Equal(all.Count(e => e.UserId == user), saved.EventsApplied);
            Assert.Equal(Bits(expected.Vector), Bits(saved.Vector));
        }
    }
}
