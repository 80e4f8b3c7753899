using Confluent.Kafka;
using RecoActors.Actors;
using RecoActors.Core;
using RecoActors.Evaluation;
using RecoActors.Storage;

namespace RecoActors.Node.Evaluation;

/// <summary>
/// The prequential evaluator's fusion model run through a node's actors: events go to a shard actor (in-memory
/// event source, one partition, in-memory store), profiles are read back by asking it, and every
/// <c>batchEvents</c> events the shard hands its partial to the segment actor, which folds it. The fold points are
/// the single-stream loop's, so the results must be equal (a test holds them to it).
/// </summary>
internal sealed class ActorFusionModel : IFusionModel, IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Never = TimeSpan.FromDays(1);
    private static readonly TopicPartition Partition = new("eval", 0);
    private readonly NodeActors _node;
    private readonly int _batchEvents;
    private long _offset;
    private int _sinceFold;

    /// <summary>A <see cref="FusionFactory"/> for <see cref="Prequential.Run"/>.</summary>
    public static FusionFactory Factory { get; } = (options, batchEvents, catalog) => new ActorFusionModel(options, batchEvents, catalog);

    private ActorFusionModel(ModelOptions options, int batchEvents, ItemCatalog catalog)
    {
        _batchEvents = batchEvents;
        // Only this model folds and commits (at its batch points): the time-paced paths are switched off.
        var region = new RegionOptions
        {
            NodeId = "eval", Topic = Partition.Topic, CommitEvery = int.MaxValue, CommitInterval = Never, ContributeEvery = int.MaxValue,
            TickInterval = Never, PassivateAfter = Never,
        };
        _node = NodeActors.Start(region, options, new InMemoryShardStore(), foldInterval: Never, catalog: catalog);
        _node.Region.OnAssigned([Partition]).ToList();
    }

    public void SetItemVector(string itemId, ReadOnlySpan<float> vector) => _node.Model.SetContent(_node.Catalog.GetOrAdd(itemId), vector);

    public IReadOnlyList<int> Recommend(string userId, int count, IReadOnlySet<int> exclude)
    {
        var user = _node.Region.ReadUserAsync(Partition.Partition.Value, userId, AskTimeout).GetAwaiter().GetResult();
        return [.. Fusion.Rank(user?.Profile, _node.Model.Current, count, exclude).Select(r => r.Item)];
    }

    public void Apply(in Rating rating, int item)
    {
        var at = new TopicPartitionOffset(Partition, new Offset(_offset++));
        var ev = rating.ToEvent();
        var wait = new SpinWait();
        while (!_node.Region.OnEvent(ev, at)) wait.SpinOnce();
        if (++_sinceFold < _batchEvents) return;
        _sinceFold = 0;
        _node.Region.FlushAsync().GetAwaiter().GetResult();
        _node.FoldAsync(AskTimeout).GetAwaiter().GetResult();
    }

    public void Dispose() => _node.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
