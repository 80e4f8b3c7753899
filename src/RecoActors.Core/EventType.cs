namespace RecoActors.Core;

/// <summary>The kinds of behaviour an event can record.</summary>
public enum EventType : byte
{
    /// <summary>The user saw the item.</summary>
    View,
    /// <summary>The user clicked the item.</summary>
    Click,
    /// <summary>The user liked the item.</summary>
    Like,
    /// <summary>The user bought the item.</summary>
    Purchase,
    /// <summary>The user rated the item; the event's value holds the rating.</summary>
    Rating,
    /// <summary>The user skipped the item (a mild negative signal).</summary>
    Skip,
    /// <summary>The user disliked the item (a strong negative signal).</summary>
    Dislike,
    /// <summary>The user wrote a tag on the item; the event's text holds it, and the profile moves towards what it says.</summary>
    Tag,
}
