using System.Text;
using RecoActors.Core;

namespace RecoActors.Kafka.Tests;

/// <summary>The consumer loop against librdkafka's mock cluster, which speaks the real Kafka protocol on loopback.</summary>
public class ConsumerGroupTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private const long T0 = 1_000_000_000_000;

    private static BehaviourEvent Ev(int user, int seq) => new($"user-{user}", $"item-{seq}", EventType.View, null, T0 + seq);

    private static List<BehaviourEvent> Produce(KafkaFixture kafka, int users, int perUser)
    {
        var producer = kafka.Producer();
        var events = new List<BehaviourEvent>();
        for (var seq = 0; seq < perUser; seq++)
            for (var u = 0; u < users; u++)
            {
                var ev = Ev(u, seq);
                events.Add(ev);
                producer.Produce(ev);
            }
        producer.Flush(TimeSpan.FromSeconds(30));
        return events;
    }

    [Fact]
    public async Task Keyed_events_are_decoded_exactly_once_in_per_key_order_on_the_murmur2_partition()
    {
        await using var kafka = new KafkaFixture();
        var sent = Produce(kafka, users: 40, perUser: 25);
        var (_, listener) = kafka.StartMember("node-a");

        await Eventually.True(() => listener.Events.Count >= sent.Count, Settle, $"{sent.Count} events consumed");

        var got = listener.Events.ToList();
        Assert.Equal(sent.Count, got.Count);
        Assert.Equal(sent.ToHashSet(), got.Select(g => g.Event).ToHashSet());
        foreach (var user in got.GroupBy(g => g.Event.UserId))
        {
            var partitions = user.Select(g => g.Source.Partition.Value).Distinct().ToList();
            Assert.Equal([Murmur2Partitioner.Partition(user.Key, KafkaFixture.Partitions)], partitions);
            var seqs = user.Select(g => g.Event.Timestamp).ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
        Assert.Empty(listener.DeadLetters);
    }

    [Fact]
    public async Task A_refused_record_pauses_its_partition_and_is_delivered_again_in_order_with_nothing_skipped()
    {
        await using var kafka = new KafkaFixture();
        var sent = Produce(kafka, users: 40, perUser: 25);
        // Refuse one record in seven the first time it comes, in every partition, including the partition's first.
        var (_, listener) = kafka.StartMember("node-a", refuse: source => source.Offset.Value % 7 == 0);

        await Eventually.True(() => listener.Events.Count >= sent.Count, Settle, $"{sent.Count} events consumed");

        Assert.True(listener.Refusals >= sent.Count / 7, $"only {listener.Refusals} refusals");
        Assert.Equal(0, listener.Misordered);
        var got = listener.Events.ToList();
        Assert.Equal(sent.Count, got.Count);
        Assert.Equal(sent.ToHashSet(), got.Select(g => g.Event).ToHashSet());
        foreach (var partition in got.GroupBy(g => g.Source.Partition.Value))
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(g => g.Source.Offset.Value));
    }

    [Fact]
    public async Task Two_members_split_the_partitions_and_a_third_joining_rebalances_them()
    {
        await using var kafka = new KafkaFixture();
        var (_, a) = kafka.StartMember("node-a");
        var (_, b) = kafka.StartMember("node-b");

        await Eventually.True(() => a.Owned.Length > 0 && b.Owned.Length > 0 && a.Owned.Length + b.Owned.Length == KafkaFixture.Partitions,
            Settle, "two members sharing 12 partitions");
        Assert.Empty(a.Owned.Intersect(b.Owned));

        var revokedBefore = a.RevokedCalls + b.RevokedCalls;
        var (_, c) = kafka.StartMember("node-c");
        await Eventually.True(() => c.Owned.Length > 0 && a.Owned.Length > 0 && b.Owned.Length > 0
                && a.Owned.Length + b.Owned.Length + c.Owned.Length == KafkaFixture.Partitions,
            Settle, "three members sharing 12 partitions");

        Assert.True(a.RevokedCalls + b.RevokedCalls > revokedBefore, "the earlier members saw their partitions revoked");
        Assert.True(c.AssignedCalls >= 1);
        var all = a.Owned.Concat(b.Owned).Concat(c.Owned).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, KafkaFixture.Partitions), all);

        // Events produced now are all consumed once across the three members.
        var sent = Produce(kafka, users: 30, perUser: 10);
        await Eventually.True(() => a.Events.Count + b.Events.Count + c.Events.Count >= sent.Count, Settle, "events consumed");
        var got = a.Events.Concat(b.Events).Concat(c.Events).Select(e => e.Event).ToList();
        Assert.Equal(sent.Count, got.Count);
        Assert.Equal(sent.ToHashSet(), got.ToHashSet());
    }

    [Fact]
    public async Task Closing_a_member_while_a_rebalance_is_in_progress_does_not_abort_and_the_rest_take_over()
    {
        await using var kafka = new KafkaFixture();
        var (_, a) = kafka.StartMember("node-a");
        var (leaving, b) = kafka.StartMember("node-b");
        await Eventually.True(() => a.Owned.Length + b.Owned.Length == KafkaFixture.Partitions && b.Owned.Length > 0,
            Settle, "two members sharing 12 partitions");

        // A third member joining starts a rebalance; the second leaves before it can finish.
        var revokedBefore = b.RevokedCalls;
        var (_, c) = kafka.StartMember("node-c");
        await Eventually.True(() => b.RevokedCalls > revokedBefore, Settle, "the rebalance reached node-b");
        await leaving.StopAsync().WaitAsync(Settle);

        await Eventually.True(() => a.Owned.Length + c.Owned.Length == KafkaFixture.Partitions && c.Owned.Length > 0,
            Settle, "the two remaining members own all 12 partitions");
        Assert.Empty(b.Owned);
        Assert.True(leaving.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Malformed_records_go_to_the_dead_letter_topic_with_distinct_reasons_and_good_ones_all_pass()
    {
        await using var kafka = new KafkaFixture();
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
        var producer = kafka.Producer(c => c.MessageMaxBytes = 4 << 20);
        var good = new List<BehaviourEvent>();
        for (var i = 0; i < bad.Length; i++)
        {
            // All under one key, so good and bad interleave in one partition.
            producer.ProduceRaw("user-0", bad[i].Value);
            var ev = Ev(0, i);
            good.Add(ev);
            producer.Produce(ev);
        }
        producer.Flush(TimeSpan.FromSeconds(30));

        var (consumer, listener) = kafka.StartMember("node-a");
        await Eventually.True(() => listener.Events.Count >= good.Count && listener.DeadLetters.Count >= bad.Length, Settle,
            "good events processed and bad ones dead-lettered");

        Assert.Equal(good, listener.Events.Select(e => e.Event));
        var reasons = listener.DeadLetters.Select(d => d.Reason.Code).ToList();
        Assert.Equal(bad.Length, reasons.Distinct().Count());
        Assert.False(consumer.Completion.IsCompleted, "the loop is still running");

        var letters = kafka.ReadDeadLetters(bad.Length, Settle);
        Assert.Equal(bad.Length, letters.Count);
        for (var i = 0; i < bad.Length; i++)
        {
            var letter = letters[i];
            Assert.Equal(bad[i].Value, letter.Message.Value);
            string Header(string key) => Encoding.UTF8.GetString(letter.Message.Headers.GetLastBytes(key));
            Assert.Equal(reasons[i], Header(DeadLetterWriter.CodeHeader));
            Assert.False(string.IsNullOrWhiteSpace(Header(DeadLetterWriter.ReasonHeader)), bad[i].Kind);
            Assert.Equal(kafka.Options.EventsTopic, Header(DeadLetterWriter.TopicHeader));
            Assert.Equal(listener.DeadLetters.ElementAt(i).Source.Offset.Value.ToString(), Header(DeadLetterWriter.OffsetHeader));
        }
    }
}
