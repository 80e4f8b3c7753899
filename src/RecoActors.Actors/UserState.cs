using RecoActors.Core;
using RecoActors.Storage;

namespace RecoActors.Actors;

/// <summary>A copy of one user's state as its shard holds it.</summary>
/// <param name="Profile">The profile (a copy: the shard keeps changing its own).</param>
/// <param name="LastOffset">Offset of the last event applied to it in its partition.</param>
public sealed record UserState(Profile Profile, long LastOffset)
{
    /// <summary>The user's state as last committed to <paramref name="store"/>, or null for a user with none.</summary>
    public static async Task<UserState?> ReadCommittedAsync(IShardStore store, string userId, ItemCatalog catalog, ModelOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(catalog);
        var record = await store.ReadUserAsync(userId, cancellationToken).ConfigureAwait(false);
        return record is null ? null : new UserState(ProfileCodec.Decode(record.Snapshot, catalog.GetOrAdd, options), record.LastOffset);
    }
}
