using MessagePack;

namespace RecoActors.Protocol;

/// <summary>Asks a user's entity for its state; answered with <see cref="UserRead"/> by whichever node hosts it.</summary>
/// <param name="UserId">The user.</param>
[MessagePackObject]
public sealed record ReadUser([property: Key(0)] string UserId) : IUserMessage, IRecoMessage;

/// <summary>A user's state, from the node that hosts the user's entity.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Node">The node that hosts the entity.</param>
/// <param name="LastOffset">Offset of the last event applied, in the user's partition; −1 before any.</param>
/// <param name="Profile">The profile; null for a user with no events.</param>
[MessagePackObject]
public sealed record UserRead(
    [property: Key(0)] string UserId,
    [property: Key(1)] string Node,
    [property: Key(2)] long LastOffset,
    [property: Key(3)] ProfileState? Profile) : IRecoMessage;
