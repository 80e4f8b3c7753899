namespace RecoActors.Core;

/// <summary>
/// What one event does, given the current snapshot: update the user's profile, assign the user to the nearest
/// segment, and add the user's contribution to the stream's partial. The same function serves the single-stream
/// reference and the user actors, so both compute the same bits.
/// </summary>
/// <remarks>
/// Items have two vectors, as in a two-tower model. The query vector (<see cref="ModelSnapshot.QueryVector"/>) is
/// fixed: events add it to profiles, so a profile depends only on its user's own events. The key vector
/// (<see cref="ModelSnapshot.ItemVector"/>) is learned: each time a user takes an item with interest, the user's
/// unit profile is added to it (a decayed sum that merges by summation), so p·k(item) is large when users whose
/// histories resemble this user's took the item.
/// </remarks>
public static class ProfileUpdater
{
    /// <summary>Applies an event; returns the segment the user was assigned to, or −1 when the profile has no direction.</summary>
    /// <param name="profile">The user's profile, updated in place.</param>
    /// <param name="itemId">The item's id, for its signature.</param>
    /// <param name="item">The item's index.</param>
    /// <param name="type">What the user did.</param>
    /// <param name="value">The event's value (a rating), if any.</param>
    /// <param name="timestamp">Event time, epoch ms.</param>
    /// <param name="snapshot">The model version to read.</param>
    /// <param name="partial">The stream's partial to add to.</param>
    /// <param name="scratch">Working space of at least 2·d floats.</param>
    /// <param name="text">What the user wrote, for a tag: the profile moves towards the text rather than the item.</param>
    public static int Apply(Profile profile, string itemId, int item, EventType type, float? value, long timestamp,
        ModelSnapshot snapshot, ModelPartial partial, Span<float> scratch, string? text = null)
    {
        var options = snapshot.Options;
        var d = options.Dimension;
        var weight = options.Weights.Of(type, value);
        // Every interaction is evidence of interest in the item; a high rating more so, a dislike none.
        var interest = Math.Max(0f, 1f + weight);

        var before = scratch.Slice(d, d);
        var hasBefore = Vectors.Normalize(profile.Vector, before);
        var work = scratch[..d];
        if (type != EventType.Tag || text is null || !snapshot.TextVector(text, work)) snapshot.QueryVector(itemId, item, work);
        profile.Apply(item, work, weight, timestamp, options.ProfileHalfLifeMs);

        var segment = -1;
        if (Vectors.Normalize(profile.Vector, work))
        {
            segment = snapshot.NearestSegment(work);
            partial.AddPoint(segment, work);
        }
        partial.AddInteraction(segment, item, interest, timestamp, options.ModelHalfLifeMs, hasBefore ? before : []);
        if (weight > 0)
        {
            if (hasBefore && partial.Examples.Count < options.FusionExamples) partial.AddExample(before, profile.RecentPositives, options.CoVisitAnchors, profile.Seen, item);
            partial.AddCoVisits(segment, profile.RecentPositives, item, options.CoVisitWindow, timestamp, options.ModelHalfLifeMs);
            profile.RecentPositives.Push(item);
        }
        return segment;
    }
}
