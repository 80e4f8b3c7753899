using Akka.Actor;

namespace RecoActors.Runtime;

/// <summary>
/// Keeps every partition's actor running wherever its shard is allocated, as ShardedDaemonProcess's keep-alive does:
/// a partition actor starts when its shard gets a message, and after a hand-off, a crash or a failed recovery this
/// tick starts it again on its new node. One per node; the messages are tiny.
/// </summary>
internal sealed class PartitionKeepAlive : UntypedActor, IWithTimers
{
    private readonly NodeContext _node;
    private readonly WakePartition[] _wakes;

    private sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }

    public PartitionKeepAlive(NodeContext node)
    {
        _node = node;
        _wakes = [.. Enumerable.Range(0, node.Partitions).Select(p => new WakePartition(p))];
    }

    /// <summary>Props for the node's keep-alive.</summary>
    public static Props Props(NodeContext node) => Akka.Actor.Props.Create(() => new PartitionKeepAlive(node));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        WakeAll();
        Timers.StartPeriodicTimer("keep-alive", Tick.Instance, _node.Options.KeepAliveInterval);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        if (message is Tick) WakeAll();
        else Unhandled(message);
    }

    private void WakeAll()
    {
        foreach (var wake in _wakes) _node.Region.Tell(wake);
    }
}
