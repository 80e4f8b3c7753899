namespace RecoActors.Storage;

/// <summary>A user's saved state.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Partition">The partition (shard) the user belongs to.</param>
/// <param name="LastOffset">Offset of the last event applied to the snapshot.</param>
/// <param name="Snapshot">The profile, as <see cref="ProfileCodec"/> writes it.</param>
public sealed record UserRecord(string UserId, int Partition, long LastOffset, byte[] Snapshot);

/// <summary>Who owns a partition, and since which generation.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Node">The owning node's id.</param>
/// <param name="Endpoint">Where the node answers HTTP.</param>
/// <param name="Generation">Bumped on every claim; a commit under an older generation is refused.</param>
public sealed record Owner(int Partition, string Node, string Endpoint, long Generation);

/// <summary>A commit came from an owner whose partition has since been claimed by another (a zombie); nothing was written.</summary>
public sealed class FencedException(string message) : Exception(message);

/// <summary>
/// Where shard state lives. Its one write, <see cref="CommitAsync"/>, saves dirty users and the partition's
/// checkpoint together, so state and the position it reflects can never disagree.
/// </summary>
public interface IShardStore : IAsyncDisposable
{
    /// <summary>The next offset to read for a partition, or null when it was never committed.</summary>
    Task<long?> ReadCheckpointAsync(string topic, int partition, CancellationToken cancellationToken = default);

    /// <summary>A user's saved state, or null.</summary>
    Task<UserRecord?> ReadUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// In one transaction: checks that <paramref name="generation"/> still owns the partition, writes the users,
    /// and sets the partition's checkpoint to <paramref name="nextOffset"/> (the last offset processed plus one).
    /// </summary>
    /// <exception cref="FencedException">The partition was claimed by a newer generation.</exception>
    Task CommitAsync(string topic, int partition, long generation, long nextOffset, IReadOnlyCollection<UserRecord> users,
        CancellationToken cancellationToken = default);

    /// <summary>Makes <paramref name="node"/> the owner of a partition; returns the new generation.</summary>
    Task<long> ClaimAsync(int partition, string node, string endpoint, CancellationToken cancellationToken = default);

    /// <summary>Gives up a partition if <paramref name="generation"/> still owns it.</summary>
    Task ReleaseAsync(int partition, long generation, CancellationToken cancellationToken = default);

    /// <summary>Current owners, by partition.</summary>
    Task<IReadOnlyList<Owner>> OwnersAsync(CancellationToken cancellationToken = default);
}
