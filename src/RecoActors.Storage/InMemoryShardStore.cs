namespace RecoActors.Storage;

/// <summary>
/// A store in memory, with the same contract (atomic commits, generations, fencing): for persistence off,
/// benchmarks and tests. Nothing survives the process.
/// </summary>
public sealed class InMemoryShardStore : IShardStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, UserRecord> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, int), long> _checkpoints = [];
    private readonly Dictionary<int, Owner> _owners = [];
    private readonly Dictionary<int, long> _generations = [];

    /// <inheritdoc />
    public Task<long?> ReadCheckpointAsync(string topic, int partition, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_checkpoints.TryGetValue((topic, partition), out var next) ? next : (long?)null);
    }

    /// <inheritdoc />
    public Task<UserRecord?> ReadUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_users.GetValueOrDefault(userId));
    }

    /// <inheritdoc />
    public Task CommitAsync(string topic, int partition, long generation, long nextOffset, IReadOnlyCollection<UserRecord> users,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        lock (_gate)
        {
            var owner = _owners.TryGetValue(partition, out var o) ? o.Generation : (long?)null;
            if (owner != generation)
                throw new FencedException($"partition {partition} is owned by generation {owner?.ToString() ?? "none"}, not {generation}");
            foreach (var user in users) _users[user.UserId] = user;
            _checkpoints[(topic, partition)] = nextOffset;
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<long> ClaimAsync(int partition, string node, string endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        lock (_gate)
        {
            var generation = _generations.GetValueOrDefault(partition) + 1;
            _generations[partition] = generation;
            _owners[partition] = new Owner(partition, node, endpoint ?? "", generation);
            return Task.FromResult(generation);
        }
    }

    /// <inheritdoc />
    public Task ReleaseAsync(int partition, long generation, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            if (_owners.TryGetValue(partition, out var owner) && owner.Generation == generation) _owners.Remove(partition);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Owner>> OwnersAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<Owner>>([.. _owners.Values.OrderBy(o => o.Partition)]);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
