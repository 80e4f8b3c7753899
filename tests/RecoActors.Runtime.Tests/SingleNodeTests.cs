using MessagePack;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>One node on an in-memory feed and a SQLite file: exactly-once state, recovery, loss detection, passivation.</summary>
public sealed class SingleNodeTests : IDisposable
{
    private const int Partitions = 12;
    private static readonly ModelOptions Model = new() { Dimension = 32, Segments = 3 };
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-runtime-");
    private readonly MemoryFeed _feed = new(Partitions);

    public void Dispose()
    {
        _feed.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    private List<BehaviourEvent> Produce(int count, int users, int seed, long t0 = 1_600_000_000_000)
    {
        var rng = new Random(seed);
        var t = t0;
        var events = Enumerable.Range(0, count)
            .Select(_ => new BehaviourEvent($"u{rng.Next(users)}", $"i{rng.Next(300)}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 1_000_000)))
            .ToList();
        foreach (var ev in events) _feed.Append(Murmur2Partitioner.Partition(ev.UserId, Partitions), ev);
        return events;
    }

    private Task<TestNode> StartAsync(RuntimeOptions? options = null, Action<NodeContext>? configure = null) =>
        TestNode.StartAsync("node-a", TestNode.Sqlite(_folder.FullName), _feed, Partitions, Model, options, configure: configure);

    private static Task AssertMatchesReference(TestNode node, List<BehaviourEvent> events) => Reference.AssertProfilesAsync(events, Model, node.ReadAsync);

    internal static string Describe(TestNode node) =>
        string.Join(" ", node.Context.Progress.Select(p => $"{p.Partition}:{p.Checkpoint}/{p.Position}{(p.Running ? "" : "!")}"));


    private long Checkpoints() => Enumerable.Range(0, Partitions).Sum(_feed.CommittedOffset);

    [Fact]
    public async Task Tags_users_write_move_their_profiles_as_the_reference_does_bit_for_bit()
    {
        var text = new ContentEmbedder(Model.Dimension, Model.Seed);
        string[] tags = ["pixar", "dark comedy", "time travel", "based on a book", "twist ending"];
        var rng = new Random(11);
        var t = 1_600_000_000_000L;
        var events = Enumerable.Range(0, 3_000)
            .Select(i => i % 3 == 0
                ? new BehaviourEvent($"u{rng.Next(100)}", $"i{rng.Next(300)}", EventType.Tag, null, t += rng.Next(1, 1_000_000)) { Text = tags[rng.Next(tags.Length)] }
                : new BehaviourEvent($"u{rng.Next(100)}", $"i{rng.Next(300)}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 1_000_000)))
            .ToList();
        foreach (var ev in events) _feed.Append(Murmur2Partitioner.Partition(ev.UserId, Partitions), ev);
        await using var node = await TestNode.StartAsync("node-a", TestNode.Sqlite(_folder.FullName), _feed, Partitions, Model, text: text);
        await Eventually.True(() => node.Context.Applied == events.Count, Within, "all 3,000 events applied");
        await Reference.AssertProfilesAsync(events, Model, node.ReadAsync, text);
        // And the tags mattered: without the text model the same stream gives other profiles.
        var blind = new Recommender(Model);
        foreach (var ev in events) blind.Apply(ev);
        var read = (await node.ReadAsync("u1")).Profile!.ToProfile(new ItemCatalog().GetOrAdd, Model);
        Assert.NotEqual(blind.Profile("u1")!.Vector, read.Vector);
    }

    [Fact]
    public async Task Applies_50000_events_of_2000_users_bit_identically_to_the_single_stream_reference_and_recovers_them()
    {
        var events = Produce(50_000, users: 2_000, seed: 7);
        await using (var node = await StartAsync())
        {
            await Eventually.True(() => node.Context.Applied == events.Count, Within, "all 50,000 events applied");
            await AssertMatchesReference(node, events);
        }
        Assert.Equal(events.Count, Checkpoints());
        // A new node on the same store: every user comes back from the partitions' journals, nothing is applied again.
        await using var again = await StartAsync();
        await Eventually.True(() => again.Context.Progress.Count == Partitions && again.Context.Progress.All(p => p.Running), Within, "every partition recovered");
        await AssertMatchesReference(again, events);
        Assert.Equal(0, again.Context.Applied);
    }

    [Fact]
    public async Task A_delivery_dropped_on_its_way_to_a_user_is_noticed_and_applied_exactly_once()
    {
        var events = Produce(4_000, users: 200, seed: 3);
        var victim = events[1_000];
        var victimOffset = 0L;
        var dropped = 0;
        var options = new RuntimeOptions { CommitTimeout = TimeSpan.FromSeconds(1) };
        await using var node = await StartAsync(options, context => context.DropDelivery = (user, offset) =>
        {
            if (user != victim.UserId || offset != Volatile.Read(ref victimOffset) || Interlocked.Exchange(ref dropped, 1) == 1) return false;
            return true;
        });
        victimOffset = OffsetOf(victim, events);
        await Eventually.True(() => node.Context.Applied == events.Count, Within, "every event applied, the dropped one included");
        Assert.Equal(1, dropped);
        await AssertMatchesReference(node, events);
    }

    private static long OffsetOf(BehaviourEvent ev, List<BehaviourEvent> events)
    {
        var partition = Murmur2Partitioner.Partition(ev.UserId, Partitions);
        return events.TakeWhile(e => !ReferenceEquals(e, ev)).Count(e => Murmur2Partitioner.Partition(e.UserId, Partitions) == partition);
    }

    [Fact]
    public async Task Keeps_at_most_its_resident_limit_of_10000_active_users_with_the_same_results()
    {
        var events = Produce(30_000, users: 10_000, seed: 11);
        await using var node = await StartAsync(new RuntimeOptions { MaxResidentUsers = 1_000 });
        // Every event durable and applied once: no user lost what it had not handed over, so nothing was replayed.
        await Eventually.True(() => Checkpoints() == events.Count, Within, () => $"all events durable: {Checkpoints()} of {events.Count} (applied {node.Context.Applied}), {node.Context.Residents.Count} resident, {node.Context.Residents.Starting} starting; {Describe(node)}");
        Assert.Equal(events.Count, node.Context.Applied);
        await Eventually.True(() => node.Context.Residents.Count <= 1_000 + Partitions, Within, "back within the limit");
        // The limit was used (nearly all of it: shares are whole numbers of users) and never exceeded by more than a passivation in flight per partition.
        Assert.InRange(node.Context.Residents.Peak, 900, 1_000 + Partitions);
        await AssertMatchesReference(node, events);
    }

    [Fact]
    public async Task A_user_whose_stored_state_does_not_decode_is_reported_and_kept_not_replaced()
    {
        var events = Produce(500, users: 20, seed: 5);
        await using (var node = await StartAsync())
            await Eventually.True(() => node.Context.Applied == events.Count, Within, "first events applied");
        // Damage one user's state as stored: the partition still recovers; that user refuses, the rest go on.
        var victim = events[0].UserId;
        var store = TestNode.Sqlite(_folder.FullName);
        await CorruptAsync(store.ConnectionString, victim);
        var more = Produce(200, users: 20, seed: 6, t0: 1_700_000_000_000);
        await using var again = await StartAsync();
        var victimEvents = more.Count(e => e.UserId == victim);
        await Eventually.True(() => again.Context.Applied + again.Context.Refused == more.Count, Within, "the new events applied or refused");
        Assert.Equal(victimEvents, again.Context.Refused);
        Assert.Equal(victimEvents, _feed.DeadLetters.Count(d => d.Value.Code == "unreadable-state" && d.Value.Reason.Contains(victim)));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => again.ReadAsync(victim));
        Assert.Contains("cannot be read", failure.Message);
    }

    /// <summary>Rewrites the newest stored state of <paramref name="userId"/> with bytes that are not a profile.</summary>
    private static async Task CorruptAsync(string connectionString, string userId)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync();
        foreach (var table in new[] { "journal", "snapshot" })
        {
            var rows = new List<(long Id, byte[] Payload)>();
            await using (var read = connection.CreateCommand())
            {
                read.CommandText = table == "journal" ? "SELECT ordering, message FROM journal" : "SELECT rowid, snapshot FROM snapshot";
                await using var reader = await read.ExecuteReaderAsync();
                while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), (byte[])reader[1]));
            }
            foreach (var (id, payload) in rows)
            {
                var damaged = Damage(payload, userId, table == "journal");
                if (damaged is null) continue;
                await using var write = connection.CreateCommand();
                write.CommandText = table == "journal" ? "UPDATE journal SET message = $m WHERE ordering = $id" : "UPDATE snapshot SET snapshot = $m WHERE rowid = $id";
                write.Parameters.AddWithValue("$m", damaged);
                write.Parameters.AddWithValue("$id", id);
                await write.ExecuteNonQueryAsync();
            }
        }
    }

    private static byte[]? Damage(byte[] payload, string userId, bool journal)
    {
        UserRecord[] users;
        long next;
        if (journal)
        {
            var c = MessagePackSerializer.Deserialize<PartitionCommitted>(payload, ManifestSerializer.Options);
            (users, next) = (c.Users, c.NextOffset);
        }
        else
        {
            var s = MessagePackSerializer.Deserialize<PartitionSnapshot>(payload, ManifestSerializer.Options);
            (users, next) = (s.Users, s.NextOffset);
        }
        if (!users.Any(u => u.UserId == userId)) return null;
        var damaged = users.Select(u => u.UserId == userId ? u with { State = [0x93, 0xff, 0x01] } : u).ToArray();
        return journal
            ? MessagePackSerializer.Serialize(new PartitionCommitted(next, damaged), ManifestSerializer.Options)
            : MessagePackSerializer.Serialize(new PartitionSnapshot(next, damaged), ManifestSerializer.Options);
    }
}
