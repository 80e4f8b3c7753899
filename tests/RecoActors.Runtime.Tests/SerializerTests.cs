using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>Every type bound to the MessagePack serializers goes through Akka's serialization and comes back equal.</summary>
public sealed class SerializerTests : Akka.TestKit.Xunit2.TestKit
{
    public SerializerTests() : base(RuntimeConfig.Build(new ClusterOptions { Port = 0, Hostname = "127.0.0.1" },
        new PersistenceStore("sqlite", "Data Source=:memory:"), new RuntimeOptions()).WithFallback(DefaultConfig))
    {
    }

    private static readonly ProfileState Profile = ProfileState.Of(Sample(), i => $"item-{i}");

    private static Profile Sample()
    {
        var profile = Core.Profile.For(new ModelOptions { Dimension = 8 });
        var vector = new float[8];
        for (var i = 0; i < 30; i++)
        {
            vector[i % 8] = float.BitDecrement(i * 0.1f);
            profile.Apply(i % 11, vector, i % 3 - 1, 1_600_000_000_000 + i, 86_400_000);
            if (i % 4 == 0) profile.RecentPositives.Push(i % 11);
        }
        return profile;
    }

    public static TheoryData<object> Messages() =>
    [
        new ReadUser("u42"),
        new UserRead("u42", "node-1", 17, Profile),
        new UserRead("u-none", "node-2", -1, null),
        new UserRecord("u7", 99, [1, 2, 3]),
        new PartitionCommitted(1_234, [new UserRecord("a", 1, [9]), new UserRecord("b", 2, [])]),
        new PartitionSnapshot(5, [new UserRecord("c", 3, [7, 7])]),
        new WakePartition(11),
        new ModelCheckpoint(42, 1_234, 1_235, new byte[] { 1, 2, 3, 4 }),
        new Recommend("u42", 10),
        new Recommendations("u42", "node-1", 7, 30, false, [new Share(2, 0.75f), new Share(0, 0.25f)],
            [new RecommendedItem("item-3", 1.5f, 0.25f, 0.125f, [new Share(2, 1.125f)]), new RecommendedItem("item-9", 1f, 0f, 0f, [])],
            new TermWeights(0.5f, 1.5f, 0.75f, 0.25f)),
        new Recommendations("u-none", "node-2", 0, 0, true, [], []),
        new RecommendationFailed("u13", "node-1", "the stored state of user 'u13' cannot be read"),
        DescribeCluster.Instance,
        new ClusterDescription(12, "node-1"),
        DescribeNode.Instance,
        new NodeDescription("node-1", [new PartitionState(3, 1_000, 990, 12), new PartitionState(7, 0, -1, -1)], 5_000, 40),
    ];

    [Fact]
    public void Every_bound_type_is_in_a_test()
    {
        var tested = ((IEnumerable<object[]>)Messages()).Select(row => row[0].GetType()).ToHashSet();
        var untested = ProtocolSerializer.Table.Keys.Concat(RuntimeSerializer.Table.Keys).Where(t => !tested.Contains(t)).Select(t => t.Name);
        Assert.Equal("", string.Join(", ", untested));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Round_trips_through_akka_serialization_with_a_versioned_manifest(object message)
    {
        var serialization = Sys.Serialization;
        var serializer = (SerializerWithStringManifest)serialization.FindSerializerFor(message);
        Assert.IsAssignableFrom<ManifestSerializer>(serializer);
        var manifest = serializer.Manifest(message);
        Assert.Matches(@"^[a-z.-]+/\d+$", manifest);
        var back = serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.Equal(Describe(message), Describe(back));
    }

    [Fact]
    public void A_model_checkpoint_written_encoded_reads_back_as_written_and_a_copy_of_it_carries_its_own_values()
    {
        var state = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        var buffer = new MemoryStream();
        buffer.Write(new byte[300_000]); // left from a bigger save before: none of it may show
        var written = ModelCheckpoint.Write(long.MaxValue, -1, 1_235, buffer, s => s.Write(state));
        Assert.Equal(state, written.State.ToArray());

        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(written);
        var bytes = serializer.ToBinary(written);
        var back = (ModelCheckpoint)serializer.FromBinary(bytes, serializer.Manifest(written));
        Assert.Equal((long.MaxValue, -1L, 1_235L), (back.Version, back.Completed, back.Resume));
        Assert.Equal(state, back.State.ToArray());
        Assert.Equal(Describe(back), Describe((ModelCheckpoint)serializer.FromBinary(serializer.ToBinary(new ModelCheckpoint(long.MaxValue, -1, 1_235, state)), serializer.Manifest(written))));

        var copy = written with { Version = 7 };
        var copied = (ModelCheckpoint)serializer.FromBinary(serializer.ToBinary(copy), serializer.Manifest(copy));
        Assert.Equal((7L, state.Length), (copied.Version, copied.State.Length));
    }

    [Theory]
    [InlineData(0, 512)]
    [InlineData(30, 512)]
    // Both rings wrapped: 5 seen of 300 distinct items, and more positives than the recent ring holds.
    [InlineData(300, 5)]
    public void A_profile_written_straight_to_bytes_is_the_same_bytes_as_its_state_serialized(int events, int seenCapacity)
    {
        var profile = Core.Profile.For(new ModelOptions { Dimension = 8, SeenCapacity = seenCapacity });
        var vector = new float[8];
        for (var i = 0; i < events; i++)
        {
            vector[i % 8] = float.BitDecrement(i * 0.1f);
            profile.Apply(i, vector, i % 3 - 1, 1_600_000_000_000 + i, 86_400_000);
            profile.RecentPositives.Push(i);
        }
        Assert.Equal(MessagePack.MessagePackSerializer.Serialize(ProfileState.Of(profile, i => $"item-{i}"), ManifestSerializer.Options),
            ProfileState.Serialize(profile, i => $"item-{i}"));
    }

    [Fact]
    public void A_profile_state_restores_the_same_profile_bit_for_bit()
    {
        var original = Sample();
        var catalog = new ItemCatalog();
        var restored = ProfileState.Of(original, i => $"item-{i}").ToProfile(catalog.GetOrAdd, new ModelOptions { Dimension = 8 });
        Assert.Equal(original.Vector.Select(BitConverter.SingleToInt32Bits), restored.Vector.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(original.Seen.Items().Select(i => $"item-{i}"), restored.Seen.Items().Select(i => catalog[i]));
        Assert.Equal(original.RecentPositives.Oldest().Select(i => $"item-{i}"), restored.RecentPositives.Oldest().Select(i => catalog[i]));
        Assert.Equal((original.LastTimestamp, original.EventsApplied), (restored.LastTimestamp, restored.EventsApplied));
    }

    [Fact]
    public void An_unknown_manifest_is_a_serialization_error_that_names_it()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new WakePartition(1));
        var ex = Assert.Throws<SerializationException>(() => serializer.FromBinary([0x91, 0x01], "partition.wake/2"));
        Assert.Contains("'partition.wake/2'", ex.Message);
        Assert.Contains("newer build", ex.Message);
    }

    [Fact]
    public void Bytes_that_do_not_decode_are_a_serialization_error_not_a_default()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new WakePartition(1));
        var ex = Assert.Throws<SerializationException>(() => serializer.FromBinary([0xc1, 0xff, 0x00], "partition.committed/1"));
        Assert.Contains("does not decode", ex.Message);
    }

    [Fact]
    public void A_profile_of_a_newer_layout_or_another_dimension_is_refused_with_a_reason()
    {
        var options = new ModelOptions { Dimension = 8 };
        var newer = Profile with { Version = 2 };
        Assert.Contains("version 2", Assert.Throws<SerializationException>(() => newer.ToProfile(_ => 0, options)).Message);
        Assert.Contains("dimension 8", Assert.Throws<SerializationException>(() => Profile.ToProfile(_ => 0, new ModelOptions { Dimension = 16 })).Message);
    }

    /// <summary>Records holding arrays compare by reference; compare what they print with their arrays spelled out.</summary>
    private static string Describe(object o) => o switch
    {
        UserRecord r => $"UserRecord({r.UserId},{r.LastOffset},{Convert.ToHexString(r.State)})",
        ModelCheckpoint m => $"{m with { State = default }} {Convert.ToHexString(m.State.Span)}",
        PartitionCommitted c => $"Committed({c.NextOffset},{string.Join(";", c.Users.Select(Describe))})",
        PartitionSnapshot s => $"Snapshot({s.NextOffset},{string.Join(";", s.Users.Select(Describe))})",
        UserRead { Profile: { } p } u => $"{u with { Profile = null }} {Describe(p)}",
        ProfileState p => $"{p.Version} {string.Join(",", p.Vector.Select(BitConverter.SingleToInt32Bits))} {p.SeenCapacity} {string.Join(",", p.Seen)} {p.RecentCapacity} {string.Join(",", p.Recent)} {p.LastTimestamp} {p.EventsApplied}",
        // Records compare arrays by reference and print only their type: the JSON shows every element.
        Recommendations r => System.Text.Json.JsonSerializer.Serialize(r),
        _ => o.ToString()!,
    };
}
