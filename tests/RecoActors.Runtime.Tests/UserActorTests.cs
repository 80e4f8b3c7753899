using Akka.Actor;
using MessagePack;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>A user entity on its own, with the test actor standing in for the region and the partition actor.</summary>
public sealed class UserActorTests() : Akka.TestKit.Xunit2.TestKit(CompactMailbox.Hocon + """

    one-thread {
      type = ForkJoinDispatcher
      dedicated-thread-pool.thread-count = 1
    }
    """)
{
    private static readonly ModelOptions Model = new() { Dimension = 16, Segments = 2 };
    private readonly MemoryFeed _feed = new(4);
    private NodeContext? _context;

    private NodeContext _node => _context ??= new NodeContext("node-t", "events", 4, new RuntimeOptions(), new GlobalModel(Model, new ItemCatalog()), _feed) { Region = TestActor };

    protected override void AfterAll()
    {
        _feed.Dispose();
        base.AfterAll();
    }

    private static BehaviourEvent Event(string item, long t) => new("u1", item, EventType.Rating, 4.5f, t);

    /// <summary>A user entity whose first message (a flush, from the partition) makes it load <paramref name="stored"/>.</summary>
    private IActorRef Start(UserRecord? stored)
    {
        var user = Sys.ActorOf(UserActor.Props(_node), "u1");
        user.Tell(new UserCommand.Flush("u1", 0, 0), TestActor);
        Assert.Equal("u1", ExpectMsg<PartitionMessage.Load>().UserId);
        user.Tell(new Loaded(stored), TestActor);
        Assert.Equal(stored?.LastOffset ?? -1, ExpectMsg<PartitionMessage.Flushed>().LastApplied);
        return user;
    }

    private static UserCommand.Apply Apply(BehaviourEvent ev, long offset, long previous) => new("u1", 0, previous, 0, new[] { new FeedRecord(offset, ev) });

    [Fact]
    public void Applies_in_offset_order_acknowledges_replays_and_reports_a_missing_predecessor()
    {
        var user = Start(null);
        user.Tell(Apply(Event("a", 1_000), 5, -1), TestActor);
        user.Tell(Apply(Event("a", 1_000), 5, -1), TestActor);
        Assert.Equal(5, LastApplied(user));
        Assert.Equal(1, _node.Applied);

        // Offset 7 was lost on the way: 9 names it as its predecessor, so 9 is refused, once.
        user.Tell(Apply(Event("c", 3_000), 9, 7), TestActor);
        Assert.Equal(5, ExpectMsg<PartitionMessage.Gap>().LastApplied);
        user.Tell(Apply(Event("c", 3_000), 9, 7), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // The lost one and its successor arrive together, as a replay sends them.
        user.Tell(new UserCommand.Apply("u1", 0, 5, 0, new[] { new FeedRecord(7, Event("b", 2_000)), new FeedRecord(9, Event("c", 3_000)) }), TestActor);
        Assert.Equal(9, LastApplied(user));
        Assert.Equal(3, _node.Applied);

        var reference = Profile.For(Model);
        var scratch = new float[2 * Model.Dimension];
        var model = new GlobalModel(Model, new ItemCatalog());
        foreach (var ev in new[] { Event("a", 1_000), Event("b", 2_000), Event("c", 3_000) })
            ProfileUpdater.Apply(reference, ev.ItemId, model.Catalog.GetOrAdd(ev.ItemId), ev.Type, ev.Value, ev.Timestamp, model.Current, model.NewPartial(), scratch);
        user.Tell(new ReadUser("u1"), TestActor);
        var read = ExpectMsg<UserRead>();
        Assert.Equal(("node-t", 9L, 3L), (read.Node, read.LastOffset, read.Profile!.EventsApplied));
        Assert.Equal(reference.Vector.Select(BitConverter.SingleToInt32Bits), read.Profile.Vector.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Users_of_nodes_with_other_dimensions_share_a_thread_without_failing()
    {
        // Actor systems in one process share threads; a node of a smaller dimension may run on a thread first.
        foreach (var dimension in new[] { 8, 64 })
        {
            var node = new NodeContext($"node-{dimension}", "events", 4, new RuntimeOptions(),
                new GlobalModel(Model with { Dimension = dimension }, new ItemCatalog()), _feed) { Region = TestActor };
            var user = Sys.ActorOf(UserActor.Props(node).WithDispatcher("one-thread"), $"u1-{dimension}");
            user.Tell(new UserCommand.Apply("u1", 0, -1, 0, new[] { new FeedRecord(3, Event("a", 1_000)) }), TestActor);
            ExpectMsg<PartitionMessage.Load>();
            user.Tell(new Loaded(null), TestActor);
            user.Tell(new ReadUser("u1"), TestActor);
            var read = ExpectMsg<UserRead>();
            Assert.Equal((3L, 1L, dimension), (read.LastOffset, read.Profile!.EventsApplied, read.Profile.Vector.Length));
        }
    }

    private long LastApplied(IActorRef user)
    {
        user.Tell(new ReadUser("u1"), TestActor);
        return ExpectMsg<UserRead>().LastOffset;
    }

    [Fact]
    public void A_user_first_asked_by_a_reader_loads_through_the_region_and_answers_the_reader()
    {
        var user = Sys.ActorOf(UserActor.Props(_node), "u1");
        var reader = CreateTestProbe();
        user.Tell(new ReadUser("u1"), reader);
        Assert.Equal("u1", ExpectMsg<PartitionMessage.Load>().UserId);
        user.Tell(new Loaded(null), TestActor);
        var read = reader.ExpectMsg<UserRead>();
        Assert.Null(read.Profile);
        Assert.Equal(-1, read.LastOffset);
    }

    [Fact]
    public void A_load_whose_partition_actor_stopped_is_asked_again_of_the_one_that_replaced_it()
    {
        var user = Sys.ActorOf(UserActor.Props(_node), "u1");
        var stopped = CreateTestProbe();
        user.Tell(Apply(Event("a", 1_000), 3, -1), stopped);
        Assert.Equal("u1", stopped.ExpectMsg<PartitionMessage.Load>().UserId);

        // The first partition actor never answers; its successor's first message makes the user ask it instead.
        user.Tell(new UserCommand.Flush("u1", 0, 1), TestActor);
        Assert.Equal("u1", ExpectMsg<PartitionMessage.Load>().UserId);
        user.Tell(new Loaded(null), TestActor);
        var flushed = ExpectMsg<PartitionMessage.Flushed>();
        Assert.Equal((1L, 3L), (flushed.Cycle, flushed.LastApplied));
        user.Tell(new Loaded(null), stopped); // a late answer to the first request changes nothing
        user.Tell(new ReadUser("u1"), TestActor);
        var read = ExpectMsg<UserRead>();
        Assert.Equal((3L, 1L), (read.LastOffset, read.Profile!.EventsApplied));
    }

    [Fact]
    public void Flushes_its_state_once_per_change_and_leaves_it_when_it_stops()
    {
        var user = Start(null);
        user.Tell(Apply(Event("a", 1_000), 3, -1), TestActor);
        user.Tell(new UserCommand.Flush("u1", 0, 1), TestActor);
        var flushed = ExpectMsg<PartitionMessage.Flushed>();
        Assert.Equal((1L, 3L, 3L), (flushed.Cycle, flushed.LastApplied, flushed.State!.LastOffset));
        user.Tell(new UserCommand.Flush("u1", 0, 2), TestActor);
        Assert.Null(ExpectMsg<PartitionMessage.Flushed>().State);

        user.Tell(Apply(Event("b", 2_000), 8, 3), TestActor);
        Watch(user);
        user.Tell(StopEntity.Instance, TestActor);
        var stopped = ExpectMsg<PartitionMessage.Stopped>();
        Assert.Equal(8, stopped.LastApplied);
        var state = MessagePackSerializer.Deserialize<ProfileState>(stopped.State!.State, ManifestSerializer.Options);
        Assert.Equal(2, state.EventsApplied);
        ExpectTerminated(user);
    }

    [Fact]
    public void Continues_from_its_stored_state()
    {
        var first = Start(null);
        first.Tell(Apply(Event("a", 1_000), 4, -1), TestActor);
        Watch(first);
        first.Tell(StopEntity.Instance, TestActor);
        var stored = ExpectMsg<PartitionMessage.Stopped>().State;
        ExpectTerminated(first); // its name is free again once it has stopped

        var again = Start(stored);
        again.Tell(Apply(Event("a", 1_000), 4, -1), TestActor);
        again.Tell(new ReadUser("u1"), TestActor);
        var read = ExpectMsg<UserRead>();
        Assert.Equal((4L, 1L), (read.LastOffset, read.Profile!.EventsApplied));
    }

    [Fact]
    public void A_stored_state_that_does_not_decode_is_kept_and_its_events_are_refused_with_the_reason()
    {
        var user = Start(new UserRecord("u1", 2, [0x93, 0xff, 0x01]));
        user.Tell(Apply(Event("a", 1_000), 6, -1), TestActor);
        var refused = ExpectMsg<PartitionMessage.Refused>();
        Assert.Equal(6, refused.Offset);
        Assert.Contains("cannot be read", refused.Reason);
        user.Tell(new ReadUser("u1"), TestActor);
        Assert.Contains("cannot be read", ExpectMsg<Status.Failure>().Cause.Message);
        user.Tell(new UserCommand.Flush("u1", 0, 1), TestActor);
        Assert.Null(ExpectMsg<PartitionMessage.Flushed>().State);
        Assert.Equal(0, _node.Applied);
    }
}
