using RecoActors.Core;

namespace RecoActors.Runtime.Tests;

/// <summary>
/// The store goes away while events arrive: ingest pauses with a rate-limited warning, the node stays up and in the
/// cluster, and once the store is back it resumes by itself and loses nothing. Run against each store, with room for
/// 40 of the 80 users (3 per partition), so users passivate and load again while partition actors restart.
/// </summary>
public abstract class StoreOutageContract : StoreContract
{
    private List<BehaviourEvent> Append(int count, int seed, long t0)
    {
        var rng = new Random(seed);
        var t = t0;
        var events = Enumerable.Range(0, count)
            .Select(_ => new BehaviourEvent($"u{rng.Next(80)}", $"i{rng.Next(300)}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 1_000_000)))
            .ToList();
        Append(events);
        return events;
    }

    [Fact]
    public async Task Ingest_pauses_with_a_rate_limited_warning_and_resumes_by_itself_losing_nothing()
    {
        await using var node = await TestNode.StartAsync("node-a", Store.Store, Feed, Partitions, Model,
            new RuntimeOptions { CommitInterval = TimeSpan.FromMilliseconds(300), MaxInFlight = 256, MaxResidentUsers = 40 });
        var first = Append(600, seed: 1, t0: 1_600_000_000_000);
        await Eventually.True(() => Durable() == first.Count, Within, "the first 600 events durable");

        await Store.BreakAsync();
        var outage = System.Diagnostics.Stopwatch.StartNew();
        var second = Append(4_000, seed: 2, t0: 1_700_000_000_000);
        await Eventually.True(() => node.Context.StoreTrouble.Failures >= 3, Within, "commits failing while the store is down");
        Assert.True(Durable() < first.Count + second.Count, "nothing became durable without the store");
        Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(node.System).SelfMember.Status);

        await Store.RestoreAsync();
        var all = first.Concat(second).ToList();
        await Eventually.True(() => Durable() == all.Count, Within, () => $"every event durable after the store came back; durable {Durable()} of {all.Count}, applied {node.Context.Applied}, partitions {string.Join(" ", node.Context.Progress.Select(p => $"{p.Partition}:{p.Checkpoint}/{p.Position}{(p.Running ? "" : "!")}"))}");
        var seconds = outage.Elapsed.TotalSeconds;
        Assert.InRange(node.Context.StoreTrouble.Lines, 1, 2 + (long)(seconds / StoreTrouble.Interval.TotalSeconds));

        await Reference.AssertProfilesAsync(all, Model, node.ReadAsync);
    }
}

/// <summary>SQLite, its file locked by another connection's exclusive transaction.</summary>
public sealed class SqliteStoreOutageTests : StoreOutageContract
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

/// <summary>PostgreSQL refusing connections to the database (and ending the ones open).</summary>
public sealed class PostgresStoreOutageTests : StoreOutageContract
{
    protected override Task<TestStore> CreateStoreAsync() => PostgresTestStore.CreateAsync();
}
