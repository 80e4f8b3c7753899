using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>The product's model (any K) under test.</summary>
internal sealed class FusionModel(Recommender recommender) : IFusionModel
{
    public Recommender Recommender { get; } = recommender;

    public IReadOnlyList<int> Recommend(string userId, int count, IReadOnlySet<int> exclude) =>
        [.. Recommender.Rank(userId, count, exclude).Select(r => r.Item)];

    public void Apply(in Rating rating, int item) => Recommender.Apply(rating.ToEvent());

    public void SetItemVector(string itemId, ReadOnlySpan<float> vector) => Recommender.SetItemVector(itemId, vector);
}
