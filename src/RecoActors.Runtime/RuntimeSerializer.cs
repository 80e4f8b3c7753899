using Akka.Actor;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>Carries the runtime's <see cref="IRuntimeSerializable"/> messages between nodes and into the journal, as MessagePack.</summary>
public sealed class RuntimeSerializer(ExtendedActorSystem system) : ManifestSerializer(system, Table)
{
    /// <summary>This serializer's identifier.</summary>
    public const int Id = 7302;

    /// <summary>Every runtime type that is persisted or crosses nodes, and its manifest (name/version).</summary>
    public static readonly IReadOnlyDictionary<Type, string> Table = new Dictionary<Type, string>
    {
        [typeof(UserRecord)] = "user.record/1",
        [typeof(PartitionCommitted)] = "partition.committed/1",
        [typeof(PartitionSnapshot)] = "partition.snapshot/1",
        [typeof(WakePartition)] = "partition.wake/1",
        [typeof(ModelCheckpoint)] = "model.checkpoint/1",
        [typeof(DescribeNode)] = "node.describe/1",
        [typeof(NodeDescription)] = "node.describe-reply/1",
    };

    /// <summary>The HOCON that registers this serializer and binds <see cref="IRuntimeSerializable"/> to it.</summary>
    public static string Hocon => Binding("reco-runtime", typeof(RuntimeSerializer), typeof(IRuntimeSerializable));

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj is ModelCheckpoint checkpoint ? checkpoint.ToBytes() : base.ToBinary(obj);
}
