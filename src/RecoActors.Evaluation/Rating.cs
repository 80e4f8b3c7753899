using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>One row of a ratings log.</summary>
/// <param name="UserId">The user.</param>
/// <param name="ItemId">The item.</param>
/// <param name="Value">The rating.</param>
/// <param name="Timestamp">Event time, epoch ms.</param>
public readonly record struct Rating(string UserId, string ItemId, float Value, long Timestamp)
{
    /// <summary>The rating as a behaviour event.</summary>
    public BehaviourEvent ToEvent() => new(UserId, ItemId, EventType.Rating, Value, Timestamp);
}
