using RecoActors.Core;

namespace RecoActors.Runtime.Tests;

/// <summary>
/// Several nodes (ActorSystems on loopback) sharing one feed and one store, while events keep arriving: a node is
/// killed, another joins, another leaves. Every profile must equal the single-stream reference, bit for bit, with
/// every event applied exactly once. Run against each store.
/// </summary>
public abstract class ClusterContract : StoreContract
{
    private Task<TestNode> StartAsync(string id, TestNode? seed = null) =>
        TestNode.StartAsync(id, Store.Store, Feed, Partitions, Model, new RuntimeOptions { CommitInterval = TimeSpan.FromMilliseconds(300) }, seed?.Address);

    private static List<BehaviourEvent> Generate(int count, int users, int seed)
    {
        var rng = new Random(seed);
        var t = 1_600_000_000_000L;
        return [.. Enumerable.Range(0, count)
            .Select(_ => new BehaviourEvent($"u{rng.Next(users)}", $"i{rng.Next(300)}", EventType.Rating, rng.Next(1, 11) / 2f, t += rng.Next(1, 1_000_000)))];
    }

    private static long Applied(IEnumerable<TestNode> nodes) => nodes.Sum(n => n.Context.Applied);

    [Fact]
    public async Task A_node_killed_one_joining_and_one_leaving_mid_stream_lose_nothing_and_apply_nothing_twice()
    {
        var events = Generate(24_000, users: 1_500, seed: 21);
        var a = await StartAsync("node-a");
        var b = await StartAsync("node-b", a);
        var c = await StartAsync("node-c", a);
        var nodes = new List<TestNode> { a, b, c };
        try
        {
            // The first node starts every partition; the coordinator then spreads them over the three.
            await Eventually.True(() => nodes.Sum(n => n.Context.Progress.Count(p => p.Running)) == Partitions && nodes.All(n => n.Context.Progress.Count == 4),
                Within, "four partitions running on each of the three nodes");

            Append(events.Take(6_000));
            await Eventually.True(() => Durable() >= 4_000, Within, "a first part durable");
            await c.KillAsync();
            nodes.Remove(c);
            Append(events.Skip(6_000).Take(6_000));

            var d = await StartAsync("node-d", a);
            nodes.Add(d);
            Append(events.Skip(12_000).Take(6_000));
            await Eventually.True(() => d.Context.Progress.Any(p => p.Running), Within, "the joining node took partitions over");

            await b.DisposeAsync();
            nodes.Remove(b);
            Append(events.Skip(18_000));

            await Eventually.True(() => Durable() == events.Count, Within, "every event durable on the survivors");
            // Exactly once: a user's events counted in its profile, no more, no less; and the profile bit-identical.
            await Reference.AssertProfilesAsync(events, Model, user => nodes[user.Length % nodes.Count].ReadAsync(user));
            Assert.True(Applied(nodes) <= events.Count, "the survivors applied no event twice");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }
}

public sealed class SqliteClusterTests : ClusterContract
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresClusterTests : ClusterContract
{
    protected override Task<TestStore> CreateStoreAsync() => PostgresTestStore.CreateAsync();
}
