using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using RecoActors.Core;
using RecoActors.Storage;

namespace RecoActors.Actors.Tests;

public sealed class ShardTests : IAsyncLifetime
{
    private const string Topic = "events";
    private static readonly ModelOptions Options = new() { Dimension = 32, Segments = 3 };
    private readonly string _folder = Directory.CreateTempSubdirectory("reco-shard-").FullName;
    private IShardStore _store = null!;

    public async Task InitializeAsync() => _store = await SqliteShardStore.OpenAsync(Path.Combine(_folder, "reco.db"));

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A partition's records: an event per offset, except every 97th, which was dead-lettered.</summary>
    private static List<(long Offset, BehaviourEvent? Event)> Partition(int count)
    {
        var rng = new Random(11);
        var t = 1_600_000_000_000;
        return [.. Enumerable.Range(0, count).Select(o => ((long)o, o % 97 == 13 ? null
            : new BehaviourEvent($"u{rng.Next(40)}", $"i{rng.Next(150)}", (EventType)rng.Next(7), rng.Next(1, 11) / 2f, t += rng.Next(1, 5_000_000))))];
    }

    private static byte[] Bits(float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    private static async Task Feed(Shard shard, IEnumerable<(long Offset, BehaviourEvent? Event)> records)
    {
        foreach (var (offset, ev) in records)
        {
            if (ev is null) shard.Skip(offset);
            else await shard.ApplyAsync(ev, offset);
            if (shard.CommitDue) await shard.CommitAsync();
        }
    }

    [Fact]
    public async Task A_crash_without_flush_then_takeover_from_the_checkpoint_loses_nothing_and_applies_nothing_twice()
    {
        var records = Partition(3_000);
        var reference = new Recommender(Options);
        foreach (var (_, ev) in records) if (ev is not null) reference.Apply(ev);

        // Node A owns the partition, folds the global model now and then, and dies mid-batch: no revoke, no flush.
        // A node's model and shards share the node's item catalog.
        var catalogA = new ItemCatalog();
        var modelA = new GlobalModel(Options, catalogA);
        var a = await Shard.OpenAsync(Topic, 0, await _store.ClaimAsync(0, "node-a", "a"), _store, () => modelA.Current, catalogA, commitEvery: 100);
        foreach (var chunk in records.Take(1_750).Chunk(300))
        {
            await Feed(a, chunk);
            if (a.TakePartial() is { } partial) modelA.Apply(partial);
        }
        Assert.Equal(1_750, a.NextOffset);

        // Node B takes over from the stored position (the last commit, 1,700) with a model of its own.
        var catalogB = new ItemCatalog();
        var modelB = new GlobalModel(Options, catalogB);
        var b = await Shard.OpenAsync(Topic, 0, await _store.ClaimAsync(0, "node-b", "b"), _store, () => modelB.Current, catalogB, commitEvery: 100);
        Assert.Equal(1_700, b.NextOffset);
        // Records below the position, delivered again, are ignored.
        Assert.False(await b.ApplyAsync(records[5].Event!, 5));
        await Feed(b, records.Skip((int)b.NextOffset));
        await b.CommitAsync();
        Assert.Equal(3_000, await _store.ReadCheckpointAsync(Topic, 0));

        // The dead node, were it to come back, cannot overwrite anything.
        await Assert.ThrowsAsync<FencedException>(() => a.CommitAsync());

        foreach (var (user, expected) in reference.Profiles)
        {
            var record = await _store.ReadUserAsync(user);
            var saved = ProfileCodec.Decode(record!.Snapshot, catalogB.GetOrAdd, Options);
            Assert.Equal(Bits(expected.Vector), Bits(saved.Vector));
            Assert.Equal(records.Count(r => r.Event?.UserId == user), saved.EventsApplied);
            Assert.Equal(expected.Seen.Items().Select(i => reference.Catalog[i]), saved.Seen.Items().Select(i => catalogB[i]));
            Assert.Equal(records.Last(r => r.Event?.UserId == user).Offset, record.LastOffset);
        }
    }

    [Fact]
    public async Task A_graceful_handover_commits_and_the_next_owner_continues_exactly()
    {
        var records = Partition(1_000);
        var catalog = new ItemCatalog();
        var model = new GlobalModel(Options, catalog);
        var a = await Shard.OpenAsync(Topic, 0, await _store.ClaimAsync(0, "node-a", "a"), _store, () => model.Current, catalog, commitEvery: 64);
        await Feed(a, records.Take(555));
        await a.CommitAsync();
        await _store.ReleaseAsync(0, a.Generation);

        var b = await Shard.OpenAsync(Topic, 0, await _store.ClaimAsync(0, "node-b", "b"), _store, () => model.Current, catalog, commitEvery: 64);
        Assert.Equal(555, b.NextOffset);
        await Feed(b, records.Skip(555));
        await b.CommitAsync();

        var total = 0L;
        foreach (var user in records.Where(r => r.Event is not null).Select(r => r.Event!.UserId).Distinct())
            total += ProfileCodec.Decode((await _store.ReadUserAsync(user))!.Snapshot, catalog.GetOrAdd, Options).EventsApplied;
        Assert.Equal(records.Count(r => r.Event is not null), total);
    }
}

public sealed class ShardCommitTimingTests
{
    [Fact]
    public async Task A_commit_falls_due_by_count_or_by_the_age_of_the_oldest_uncommitted_change()
    {
        var options = new ModelOptions { Dimension = 16, Segments = 2 };
        var store = new InMemoryShardStore();
        var catalog = new ItemCatalog();
        var model = new GlobalModel(options, catalog);
        var ev = new BehaviourEvent("u", "i", EventType.Like, null, 1_600_000_000_000);

        var byCount = await Shard.OpenAsync("t", 0, await store.ClaimAsync(0, "n", ""), store, () => model.Current, catalog,
            commitEvery: 3, commitInterval: TimeSpan.FromHours(1));
        await byCount.ApplyAsync(ev, 0);
        await byCount.ApplyAsync(ev, 1);
        Assert.False(byCount.CommitDue);
        await byCount.ApplyAsync(ev, 2);
        Assert.True(byCount.CommitDue);
        await byCount.CommitAsync();
        Assert.False(byCount.CommitDue);

        var byTime = await Shard.OpenAsync("t", 1, await store.ClaimAsync(1, "n", ""), store, () => model.Current, catalog,
            commitEvery: 1_000, commitInterval: TimeSpan.FromMilliseconds(100));
        Assert.False(byTime.CommitDue);
        await byTime.ApplyAsync(ev, 0);
        // The interval is the behaviour under test: wait for it, with a deadline.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!byTime.CommitDue && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(byTime.CommitDue);
        await byTime.CommitAsync();
        Assert.Equal(1, await store.ReadCheckpointAsync("t", 1));
        Assert.False(byTime.CommitDue);
    }
}
