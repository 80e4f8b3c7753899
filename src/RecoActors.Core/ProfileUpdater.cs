namespace RecoActors.Core;

/// <summary>
/// What one event does, given the current snapshot: update the user's profile, assign the user to the nearest
/// segment, and add the user's contribution to the stream's partial. The same function serves the single-stream
/// reference and the user actors, so both compute the same bits.
/// </summary>
/// <remarks>
/// Collaborative item vectors are learned by random indexing (DESIGN §1.5c): an item's vector is the decayed sum of
/// the fixed pseudo-random signatures of the users who showed interest in it, so items taken by the same people
/// point the same way, and partials of it from any partition add up.
/// </remarks>
public static class ProfileUpdater
{
    /// <summary>Applies an event; returns the segment the user was assigned to, or −1 when the profile has no direction.</summary>
    /// <param name="profile">The user's profile, updated in place.</param>
    /// <param name="userId">The user's id, for the user's signature.</param>
    /// <param name="item">The item's index.</param>
    /// <param name="type">What the user did.</param>
    /// <param name="value">The event's value (a rating), if any.</param>
    /// <param name="timestamp">Event time, epoch ms.</param>
    /// <param name="snapshot">The model version to read.</param>
    /// <param name="partial">The stream's partial to add to.</param>
    /// <param name="scratch">Working space of at least 2·d floats.</param>
    public static int Apply(Profile profile, string userId, int item, EventType type, float? value, long timestamp,
        ModelSnapshot snapshot, ModelPartial partial, Span<float> scratch)
    {
        var options = snapshot.Options;
        var d = options.Dimension;
        var weight = options.Weights.Of(type, value);
        // Every interaction is evidence of interest in the item; a high rating more so, a dislike none.
        var interest = Math.Max(0f, 1f + weight);

        profile.Apply(item, snapshot.ItemVector(item), weight, timestamp, options.ProfileHalfLifeMs);

        var unit = scratch[..d];
        var segment = -1;
        if (Vectors.Normalize(profile.Vector, unit))
        {
            segment = snapshot.NearestSegment(unit);
            partial.AddPoint(segment, unit);
        }
        var signature = scratch.Slice(d, d);
        Signature.Write(userId, options.Seed, signature);
        partial.AddInteraction(segment, item, interest, timestamp, options.ModelHalfLifeMs, signature);
        if (weight > 0)
        {
            partial.AddCoVisits(profile.RecentPositives, item, options.CoVisitWindow, timestamp, options.ModelHalfLifeMs);
            profile.RecentPositives.Push(item);
        }
        return segment;
    }
}
