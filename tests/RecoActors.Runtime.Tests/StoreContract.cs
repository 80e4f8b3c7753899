using RecoActors.Core;
using RecoActors.Kafka;

namespace RecoActors.Runtime.Tests;

/// <summary>A test whose nodes share one in-memory feed and one store of the kind a subclass chooses.</summary>
public abstract class StoreContract : IAsyncLifetime
{
    protected const int Partitions = 12;
    protected static readonly ModelOptions Model = new() { Dimension = 32, Segments = 3 };
    protected static readonly TimeSpan Within = TimeSpan.FromSeconds(120);

    protected MemoryFeed Feed { get; } = new(Partitions);

    protected TestStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        Feed.Dispose();
        await Store.DisposeAsync();
    }

    /// <summary>A new, empty store shared by every node of the test.</summary>
    protected abstract Task<TestStore> CreateStoreAsync();

    /// <summary>Appends events to their users' partitions, as a murmur2 producer would.</summary>
    protected void Append(IEnumerable<BehaviourEvent> events)
    {
        foreach (var ev in events) Feed.Append(Murmur2Partitioner.Partition(ev.UserId, Partitions), ev);
    }

    /// <summary>Records below every partition's checkpoint: durable.</summary>
    protected long Durable() => Enumerable.Range(0, Partitions).Sum(Feed.CommittedOffset);
}
