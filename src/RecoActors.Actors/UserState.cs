using RecoActors.Core;

namespace RecoActors.Actors;

/// <summary>A copy of one user's state as its shard holds it.</summary>
/// <param name="Profile">The profile (a copy: the shard keeps changing its own).</param>
/// <param name="LastOffset">Offset of the last event applied to it in its partition.</param>
public sealed record UserState(Profile Profile, long LastOffset);
