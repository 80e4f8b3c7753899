namespace RecoActors.Core;

/// <summary>How much each kind of event moves a profile; negative weights push it away from the item.</summary>
/// <param name="View">Weight of a view.</param>
/// <param name="Click">Weight of a click.</param>
/// <param name="Like">Weight of a like.</param>
/// <param name="Purchase">Weight of a purchase.</param>
/// <param name="RatingCenter">The rating that counts as neutral.</param>
/// <param name="RatingScale">Rating points per unit of weight: a rating r weighs (r − center)/scale.</param>
/// <param name="Skip">Weight of a skip (negative).</param>
/// <param name="Dislike">Weight of a dislike (negative).</param>
public sealed record EventWeights(float View, float Click, float Like, float Purchase, float RatingCenter, float RatingScale, float Skip, float Dislike)
{
    /// <summary>Defaults for a 0.5–5 star scale centred on 3.</summary>
    public static EventWeights Default { get; } = new(0.2f, 0.4f, 1f, 1.5f, 3f, 1.5f, -0.3f, -1f);

    /// <summary>Weight of a tag the user wrote: it moves the profile towards the tag's text vector.</summary>
    public float Tag { get; init; } = 1f;

    /// <summary>The signed weight of an event.</summary>
    public float Of(EventType type, float? value) => type switch
    {
        EventType.View => View,
        EventType.Click => Click,
        EventType.Like => Like,
        EventType.Purchase => Purchase,
        EventType.Rating => ((value ?? RatingCenter) - RatingCenter) / RatingScale,
        EventType.Skip => Skip,
        EventType.Dislike => Dislike,
        EventType.Tag => Tag,
        _ => 0f,
    };
}
