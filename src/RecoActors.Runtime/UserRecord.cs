using MessagePack;

namespace RecoActors.Runtime;

/// <summary>
/// One user's durable state inside a partition's journal: the profile's bytes (a MessagePack
/// <see cref="Protocol.ProfileState"/>) and the offset of the last event they include.
/// </summary>
/// <remarks>
/// The profile stays bytes here: a partition stores and recovers its users without decoding them, and one damaged
/// profile is reported by its own user's entity instead of failing the partition's recovery.
/// </remarks>
/// <param name="UserId">The user.</param>
/// <param name="LastOffset">Offset of the last event applied to <paramref name="State"/>.</param>
/// <param name="State">The profile, as MessagePack.</param>
[MessagePackObject]
public sealed record UserRecord(
    [property: Key(0)] string UserId,
    [property: Key(1)] long LastOffset,
    [property: Key(2)] byte[] State) : IRuntimeSerializable;

/// <summary>
/// A partition's commit, persisted as one journal event: users' states and the offset below which every record
/// of the partition is in them (the checkpoint, written with the state it covers).
/// </summary>
/// <param name="NextOffset">The checkpoint: the next offset to read after a restart.</param>
/// <param name="Users">States that changed since the previous commit.</param>
[MessagePackObject]
public sealed record PartitionCommitted(
    [property: Key(0)] long NextOffset,
    [property: Key(1)] UserRecord[] Users) : IRuntimeSerializable;

/// <summary>A partition's whole durable state: every user's last state and the checkpoint.</summary>
/// <param name="NextOffset">The checkpoint.</param>
/// <param name="Users">Every user of the partition.</param>
[MessagePackObject]
public sealed record PartitionSnapshot(
    [property: Key(0)] long NextOffset,
    [property: Key(1)] UserRecord[] Users) : IRuntimeSerializable;
