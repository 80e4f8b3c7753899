using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using RecoActors.Core;
using RecoActors.Kafka;

namespace RecoActors.Runtime.Tests;

/// <summary>One node reading librdkafka's mock cluster through the <see cref="KafkaFeed"/>: the real Kafka protocol on loopback.</summary>
public sealed class KafkaFeedTests : IDisposable
{
    private const int Partitions = 12;
    private static readonly ModelOptions Model = new() { Dimension = 32, Segments = 3 };
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);
    private readonly MockKafkaCluster _cluster = MockKafkaCluster.Start(3);
    private readonly KafkaOptions _kafka;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-kafka-feed-");

    public KafkaFeedTests()
    {
        _kafka = new KafkaOptions { BootstrapServers = _cluster.BootstrapServers };
        _cluster.CreateTopics(_kafka, Partitions);
    }

    public void Dispose()
    {
        _cluster.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    private List<ConsumeResult<byte[]?, byte[]?>> ReadDeadLetters(int expected)
    {
        var config = new ConsumerConfig(_kafka.ToClientConfig()) { GroupId = "dlq-reader", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false };
        using var reader = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        reader.Assign(new TopicPartitionOffset(_kafka.DeadLetterTopic, 0, Offset.Beginning));
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + Within;
        while (records.Count < expected && DateTime.UtcNow < deadline)
            if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { } r) records.Add(r);
        reader.Close();
        return records;
    }

    private static string Header(ConsumeResult<byte[]?, byte[]?> record, string name) =>
        Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));

    [Fact]
    public async Task Malformed_records_and_records_on_the_wrong_partition_go_to_the_dead_letter_topic_and_the_rest_are_applied_once()
    {
        var rng = new Random(4);
        var good = Enumerable.Range(0, 3_000)
            .Select(i => new BehaviourEvent($"u{rng.Next(300)}", $"i{rng.Next(200)}", EventType.Rating, rng.Next(1, 11) / 2f, 1_600_000_000_000 + i * 1_000L))
            .ToList();
        using (var producer = EventProducer.Create(_kafka))
        {
            foreach (var ev in good) producer.Produce(ev);
            producer.ProduceRaw("u1", "{broken"u8.ToArray());
            producer.ProduceRaw("u2", Encoding.UTF8.GetBytes("""{"userId":"u2","itemId":"i1","type":"warp","ts":1600000000000}"""));
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        // A producer as a new user writes one: librdkafka's default partitioner (consistent_random), keyed by user id.
        var strays = Enumerable.Range(0, 200).Select(i => new BehaviourEvent($"stray-{i}", "i1", EventType.Click, null, 1_600_000_000_000 + i)).ToList();
        var misplacedUsers = new HashSet<string>();
        using (var plain = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
        {
            foreach (var ev in strays)
            {
                var result = await plain.ProduceAsync(_kafka.EventsTopic, new Message<string, byte[]> { Key = ev.UserId, Value = EventCodec.Encode(ev) });
                if (result.Partition.Value != Murmur2Partitioner.Partition(ev.UserId, Partitions)) misplacedUsers.Add(ev.UserId);
            }
        }
        var misplaced = misplacedUsers.Count;
        Assert.True(misplaced > 100, $"the default partitioner put {misplaced} of 200 on another partition than murmur2 would");

        using var deadLetters = DeadLetterWriter.Create(_kafka, NullLogger.Instance, "test-dlq");
        using var feed = new KafkaFeed(_kafka, "node-k", Partitions, deadLetters, NullLogger.Instance);
        // One delivery of the last good event is lost, as in a hand-off: its partition replays from the checkpoint and
        // reads the records after it again, and none of them may go to the dead-letter topic a second time.
        var last = good[^1];
        var lastOffset = good.Count(e => Murmur2Partitioner.Partition(e.UserId, Partitions) == Murmur2Partitioner.Partition(last.UserId, Partitions)) - 1;
        var dropped = 0;
        await using var node = await TestNode.StartAsync("node-k", TestNode.Sqlite(_folder.FullName), feed, Partitions, Model,
            configure: c => c.DropDelivery = (user, offset) => user == last.UserId && offset == lastOffset && Interlocked.Exchange(ref dropped, 1) == 0);
        var expected = good.Count + strays.Count - misplaced;
        await Eventually.True(() => node.Context.Applied == expected && feed.WrongPartition == misplaced, Within,
            () => $"{expected} events applied and {misplaced} refused as misplaced: {node.Context.Applied} and {feed.WrongPartition}; {SingleNodeTests.Describe(node)}; ends {string.Join(" ", Enumerable.Range(0, Partitions).Select(p => feed.End(p)))}");

        Assert.Equal(1, dropped);
        var letters = ReadDeadLetters(misplaced + 2);
        Assert.Equal(misplaced + 2, letters.Count);
        var codes = letters.GroupBy(l => Header(l, DeadLetterWriter.CodeHeader)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(misplaced, codes["wrong-partition"]);
        Assert.Equal(1, codes["not-json"]);
        Assert.Equal(1, codes["unknown-type"]);
        var reason = Header(letters.First(l => Header(l, DeadLetterWriter.CodeHeader) == "wrong-partition"), DeadLetterWriter.ReasonHeader);
        Assert.Contains("murmur2", reason);

        // Never one user in two shards: every user's profile has exactly its events from its own partition.
        foreach (var user in good.Select(e => e.UserId).Distinct())
            Assert.Equal(good.Count(e => e.UserId == user), (await node.ReadAsync(user)).Profile!.EventsApplied);
        foreach (var ev in strays)
            Assert.Equal(misplacedUsers.Contains(ev.UserId) ? 0 : 1, (await node.ReadAsync(ev.UserId)).Profile?.EventsApplied ?? 0);
        // The checkpoint moved past every record, dead letters included, and is reported to Kafka for lag tools.
        await Eventually.True(() => node.Context.Progress.All(p => p.Checkpoint == feed.End(p.Partition)), Within, "every partition checkpointed to its end");
        deadLetters.Flush(TimeSpan.FromSeconds(10));
        Assert.Equal(misplaced + 2, deadLetters.Delivered);
    }

    [Fact]
    public async Task Every_kind_of_malformed_record_goes_to_the_dead_letter_topic_with_its_own_reason_and_the_good_ones_between_are_applied()
    {
        const string tail = "\"type\":\"view\",\"ts\":946684800000}";
        var bad = new (string Kind, byte[]? Value)[]
        {
            ("not JSON", "hello"u8.ToArray()),
            ("truncated", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"ty")),
            ("missing userId", Encoding.UTF8.GetBytes("{\"itemId\":\"i1\"," + tail)),
            ("empty itemId", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"\"," + tail)),
            ("id over 128 bytes", Encoding.UTF8.GetBytes("{\"userId\":\"" + new string('x', 200) + "\",\"itemId\":\"i1\"," + tail)),
            ("wrong JSON type", Encoding.UTF8.GetBytes("{\"userId\":[],\"itemId\":\"i1\"," + tail)),
            ("NaN value", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"value\":NaN," + tail)),
            ("unknown type", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"warp\",\"ts\":946684800000}")),
            ("absurd timestamp", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"type\":\"view\",\"ts\":-5}")),
            ("1 MB payload", Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"itemId\":\"i1\",\"pad\":\"" + new string('p', 1 << 20) + "\"," + tail)),
            ("invalid UTF-8", [.. "{\"userId\":\"u"u8, 0xFE, .. "\",\"itemId\":\"i1\","u8, .. Encoding.UTF8.GetBytes(tail)]),
            ("null value", null),
        };
        var good = new List<BehaviourEvent>();
        using (var producer = EventProducer.Create(_kafka, configure: c => c.MessageMaxBytes = 4 << 20))
        {
            for (var i = 0; i < bad.Length; i++)
            {
                // All under one key, so good and bad records interleave in one partition.
                producer.ProduceRaw("user-0", bad[i].Value);
                var ev = new BehaviourEvent("user-0", $"i{i}", EventType.View, null, 946_684_800_000 + i);
                good.Add(ev);
                producer.Produce(ev);
            }
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        using var deadLetters = DeadLetterWriter.Create(_kafka, NullLogger.Instance, "test-dlq");
        using var feed = new KafkaFeed(_kafka, "node-m", Partitions, deadLetters, NullLogger.Instance);
        await using var node = await TestNode.StartAsync("node-m", TestNode.Sqlite(_folder.FullName), feed, Partitions, Model);
        await Eventually.True(() => node.Context.Applied == good.Count && deadLetters.Delivered == bad.Length, Within,
            () => $"{good.Count} applied and {bad.Length} dead-lettered: {node.Context.Applied} and {deadLetters.Delivered}");

        var user = (await node.ReadAsync("user-0")).Profile!;
        Assert.Equal(good.Count, user.EventsApplied);
        Assert.Equal(good[^1].Timestamp, user.LastTimestamp);
        var letters = ReadDeadLetters(bad.Length);
        Assert.Equal(bad.Length, letters.Count);
        var partition = Murmur2Partitioner.Partition("user-0", Partitions);
        for (var i = 0; i < bad.Length; i++)
        {
            var letter = letters[i];
            Assert.Equal(bad[i].Value, letter.Message.Value);
            Assert.Equal("user-0"u8.ToArray(), letter.Message.Key);
            Assert.False(string.IsNullOrWhiteSpace(Header(letter, DeadLetterWriter.ReasonHeader)), bad[i].Kind);
            Assert.Equal(_kafka.EventsTopic, Header(letter, DeadLetterWriter.TopicHeader));
            Assert.Equal($"{partition}", Header(letter, DeadLetterWriter.PartitionHeader));
            // Bad and good alternate: the i-th bad record is at offset 2i.
            Assert.Equal($"{2 * i}", Header(letter, DeadLetterWriter.OffsetHeader));
        }
        Assert.Equal(bad.Length, letters.Select(l => Header(l, DeadLetterWriter.CodeHeader)).Distinct().Count());
    }
}
