namespace RecoActors.Protocol;

/// <summary>
/// A message that may cross nodes: bound to <see cref="ProtocolSerializer"/>, so it travels as MessagePack under a
/// stable, versioned manifest rather than as a .NET type name.
/// </summary>
public interface IRecoMessage;

/// <summary>A message for one user's entity: the shard region routes it by <see cref="UserId"/>.</summary>
public interface IUserMessage
{
    /// <summary>The user the message is for.</summary>
    string UserId { get; }
}
