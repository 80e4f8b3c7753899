using Microsoft.Extensions.Logging;
using RecoActors.Core;

namespace RecoActors.Actors;

/// <summary>What a node's shard actors share: options, the segment actor, the model, counters, and the store's health.</summary>
internal sealed class ShardServices(RegionOptions options, ActorRef<SegmentMessage> segments, GlobalModel model, ILogger logger,
    Action<ShardHandle> drop)
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(5);
    private long _applied;
    private long _lastLog = -(long)LogEvery.TotalMilliseconds;
    private volatile bool _storeDown;

    public RegionOptions Options { get; } = options;

    public ActorRef<SegmentMessage> Segments { get; } = segments;

    public GlobalModel Model { get; } = model;

    public ILogger Logger { get; } = logger;

    public long Applied => Interlocked.Read(ref _applied);

    public bool StoreAvailable => !_storeDown;

    public void CountApplied() => Interlocked.Increment(ref _applied);

    public void Drop(ShardHandle handle) => drop(handle);

    public void StoreIsUp()
    {
        if (!_storeDown) return;
        _storeDown = false;
        Logger.LogInformation("The store is reachable again; consumption resumes");
    }

    /// <summary>Logs an outage at most once per <see cref="LogEvery"/> across all shards, however many retry.</summary>
    public void StoreIsDown(Exception error, int partition)
    {
        _storeDown = true;
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLog);
        if (now - last < LogEvery.TotalMilliseconds || Interlocked.CompareExchange(ref _lastLog, now, last) != last) return;
        Logger.LogError("The store is unavailable (partition {Partition}: {Error}); its partitions pause and retry until it returns",
            partition, error.GetBaseException().Message);
    }
}
