using MessagePack;

namespace RecoActors.Runtime;

/// <summary>Asks a node's describer (<see cref="Protocol.ClusterConfig.DescriberName"/>) for its partitions and counters, for views of the whole cluster.</summary>
[MessagePackObject]
public sealed record DescribeNode : IRuntimeSerializable
{
    /// <summary>The one request.</summary>
    public static readonly DescribeNode Instance = new();
}

/// <summary>One node's partitions with their lag, and its counters.</summary>
/// <param name="Node">The node's id.</param>
/// <param name="Partitions">The partitions whose actors run there.</param>
/// <param name="EventsApplied">Events applied there.</param>
/// <param name="ResidentUsers">Users held in memory there.</param>
[MessagePackObject]
public sealed record NodeDescription(
    [property: Key(0)] string Node,
    [property: Key(1)] PartitionState[] Partitions,
    [property: Key(2)] long EventsApplied,
    [property: Key(3)] long ResidentUsers) : IRuntimeSerializable
{
    /// <summary>What <paramref name="node"/> says of itself now.</summary>
    public static NodeDescription Of(NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new NodeDescription(node.NodeId,
            [.. node.Progress.Where(p => p.Running).Select(p => new PartitionState(p.Partition, p.Position, p.Checkpoint,
                node.Feed.End(p.Partition) is { } end ? Math.Max(0, end - p.Position) : -1))],
            node.Applied, node.Residents.Count);
    }
}

/// <summary>A partition running on a node.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Position">The next offset to read.</param>
/// <param name="Checkpoint">The committed checkpoint.</param>
/// <param name="Lag">Records produced but not read yet; −1 before the partition's end was first fetched.</param>
[MessagePackObject]
public sealed record PartitionState([property: Key(0)] int Partition, [property: Key(1)] long Position, [property: Key(2)] long Checkpoint, [property: Key(3)] long Lag);
