using Akka.Actor;

namespace RecoActors.Protocol;

/// <summary>Carries every <see cref="IRecoMessage"/> of this assembly between nodes.</summary>
/// <remarks>Bound in HOCON by <see cref="Hocon"/>; identifier <see cref="Id"/>.</remarks>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : ManifestSerializer(system, Table)
{
    /// <summary>This serializer's identifier (Akka reserves 0–100).</summary>
    public const int Id = 7301;

    /// <summary>Every protocol message and its manifest (name/version).</summary>
    public static readonly IReadOnlyDictionary<Type, string> Table = new Dictionary<Type, string>
    {
        [typeof(ReadUser)] = "user.read/1",
        [typeof(UserRead)] = "user.read-reply/1",
        [typeof(Recommend)] = "user.recommend/1",
        [typeof(Recommendations)] = "user.recommend-reply/1",
        [typeof(RecommendationFailed)] = "user.recommend-failed/1",
        [typeof(DescribeCluster)] = "cluster.describe/1",
        [typeof(ClusterDescription)] = "cluster.describe-reply/1",
    };

    /// <summary>The HOCON that registers this serializer and binds <see cref="IRecoMessage"/> to it.</summary>
    public static string Hocon => Binding("reco-protocol", typeof(ProtocolSerializer), typeof(IRecoMessage));

    /// <inheritdoc />
    public override int Identifier => Id;
}
