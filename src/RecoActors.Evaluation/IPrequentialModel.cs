using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>A model under prequential test: asked first, then taught, one event at a time.</summary>
public interface IPrequentialModel
{
    /// <summary>Top <paramref name="count"/> item indexes for a user, none from <paramref name="exclude"/>.</summary>
    IReadOnlyList<int> Recommend(string userId, int count, IReadOnlySet<int> exclude);

    /// <summary>Learns from one rating of item index <paramref name="item"/>.</summary>
    void Apply(in Rating rating, int item);
}

/// <summary>The product's model under test, built by a <see cref="FusionFactory"/>: the Core-only loop or the node's actors.</summary>
public interface IFusionModel : IPrequentialModel
{
    /// <summary>Sets an item's content or external vector (before events flow).</summary>
    void SetItemVector(string itemId, ReadOnlySpan<float> vector);
}

/// <summary>Builds a fusion model over the evaluator's item indexes, folding the global model every <paramref name="batchEvents"/> events.</summary>
public delegate IFusionModel FusionFactory(ModelOptions options, int batchEvents, ItemCatalog catalog);
