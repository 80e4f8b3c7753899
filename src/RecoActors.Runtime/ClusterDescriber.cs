using Akka.Actor;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// Tells a joining client how the cluster shards its users (<see cref="DescribeCluster"/>), and any node what this one
/// runs (<see cref="DescribeNode"/>), at <see cref="ClusterConfig.DescriberName"/> on every node.
/// </summary>
internal sealed class ClusterDescriber : ReceiveActor
{
    /// <summary>A describer for <paramref name="node"/>.</summary>
    public ClusterDescriber(NodeContext node)
    {
        Receive<DescribeCluster>(_ => Sender.Tell(new ClusterDescription(node.Partitions, node.NodeId)));
        Receive<DescribeNode>(_ => Sender.Tell(NodeDescription.Of(node)));
    }
}
