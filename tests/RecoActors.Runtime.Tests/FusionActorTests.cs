using System.Text.Json;
using Akka.Actor;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>The fusion actor ranks as Core's <see cref="Fusion"/> does, and a user entity hands it what it needs.</summary>
public sealed class FusionActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ModelOptions Model = new() { Dimension = 16, Segments = 4 };
    private readonly MemoryFeed _feed = new(4);
    private readonly Recommender _reference = new(Model, batchEvents: 50);
    private readonly NodeContext _node;

    public FusionActorTests() : base(CompactMailbox.Hocon)
    {
        // 40 users of two tastes over 30 items: segments, popularity and co-visits all have something to say.
        for (var i = 0; i < 2_000; i++)
        {
            var user = i % 40;
            var item = (user % 2 == 0 ? 0 : 15) + (i * 7 + user) % 15;
            _reference.Apply(new BehaviourEvent($"u{user}", $"item-{item}", EventType.Rating, 3 + i % 3, 1_600_000_000_000 + i * 60_000L));
        }
        _reference.Flush();
        _node = new NodeContext("node-f", "events", 4, new RuntimeOptions(), _reference.Model, _feed) { Region = TestActor };
    }

    protected override void AfterAll()
    {
        _feed.Dispose();
        base.AfterAll();
    }

    [Theory]
    [InlineData("u3", 10)]
    [InlineData("u8", 5)]
    [InlineData("never-seen", 10)]
    public void Ranks_exactly_as_Fusion_Recommend_on_the_same_snapshot_with_the_explanation(string user, int count)
    {
        var fusion = Sys.ActorOf(Props.Create(() => new FusionActor(_node)));
        var profile = _reference.Profile(user);
        fusion.Tell(new FusionCommand.Rank(user, count, profile?.Clone(), TestActor));
        var answer = ExpectMsg<Recommendations>();

        var snapshot = _reference.Snapshot;
        var expected = Fusion.Recommend(profile, snapshot, count);
        Assert.Equal((user, "node-f", snapshot.Version, profile?.EventsApplied ?? 0, profile is null), (answer.UserId, answer.Node, answer.ModelVersion, answer.EventsApplied, answer.ColdStart));
        Assert.Equal(count, answer.Items.Length);
        Assert.Equal(Json(expected.Items.Select(i => new { i.ItemId, i.Score, i.Personal, i.Related, Segments = i.Segments.Select(s => new { s.Segment, s.Amount }) })),
            Json(answer.Items.Select(i => new { i.ItemId, i.Score, i.Personal, i.Related, Segments = i.Segments.Select(s => new { s.Segment, s.Amount }) })));
        Assert.Equal(Json(expected.Memberships.Select(s => new { s.Segment, s.Amount })), Json(answer.Memberships.Select(s => new { s.Segment, s.Amount })));
        if (profile is not null) Assert.NotEmpty(answer.Memberships);
        Assert.Equal(Json(expected.Weights), Json(answer.Weights));
        Assert.Equal(profile is null, answer.Weights is null);
    }

    [Fact]
    public void A_count_out_of_range_is_refused_with_a_reason_not_a_silent_drop()
    {
        var fusion = Sys.ActorOf(Props.Create(() => new FusionActor(_node)));
        fusion.Tell(new FusionCommand.Rank("u3", Recommend.MaxCount + 1, _reference.Profile("u3")!.Clone(), TestActor));
        Assert.Contains("count must be from 0 to 1000", ExpectMsg<RecommendationFailed>().Reason);
    }

    [Fact]
    public void A_user_entity_passes_a_copy_of_its_profile_and_the_asker_to_the_fusion_actor()
    {
        _node.Fusion = TestActor;
        var user = Sys.ActorOf(UserActor.Props(_node), "u5");
        var asker = CreateTestProbe();
        user.Tell(new Recommend("u5", 7), asker);
        // The entity loads first (through the region: the test actor), then hands the request on.
        Assert.Equal("u5", ExpectMsg<PartitionMessage.Load>().UserId);
        user.Tell(new Loaded(null), TestActor);
        var rank = ExpectMsg<FusionCommand.Rank>();
        Assert.Equal(("u5", 7), (rank.UserId, rank.Count));
        Assert.Null(rank.Profile);
        Assert.Equal(asker.Ref, rank.ReplyTo);

        user.Tell(new UserCommand.Apply("u5", 0, -1, 0, new[] { new FeedRecord(3, new BehaviourEvent("u5", "item-2", EventType.Rating, 5, 1_700_000_000_000)) }), TestActor);
        user.Tell(new Recommend("u5", 7), asker);
        var second = FishForMessage<FusionCommand.Rank>(_ => true);
        Assert.Equal(1, second.Profile!.EventsApplied);
        // A copy: the next event changes the entity's profile, not the one being ranked.
        user.Tell(new UserCommand.Apply("u5", 0, 3, 0, new[] { new FeedRecord(4, new BehaviourEvent("u5", "item-3", EventType.Rating, 5, 1_700_000_060_000)) }), TestActor);
        user.Tell(new Recommend("u5", 7), asker);
        Assert.Equal(2, FishForMessage<FusionCommand.Rank>(_ => true).Profile!.EventsApplied);
        Assert.Equal(1, second.Profile.EventsApplied);
    }

    private static string Json(object? o) => JsonSerializer.Serialize(o);
}
