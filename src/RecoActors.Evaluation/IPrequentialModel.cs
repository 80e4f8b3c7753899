namespace RecoActors.Evaluation;

/// <summary>A model under prequential test: asked first, then taught, one event at a time.</summary>
internal interface IPrequentialModel
{
    /// <summary>Top <paramref name="count"/> item indexes for a user, none from <paramref name="exclude"/>.</summary>
    IReadOnlyList<int> Recommend(string userId, int count, IReadOnlySet<int> exclude);

    /// <summary>Learns from one rating of item index <paramref name="item"/>.</summary>
    void Apply(in Rating rating, int item);
}
