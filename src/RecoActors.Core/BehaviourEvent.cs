namespace RecoActors.Core;

/// <summary>One thing a user did with an item, at an event time.</summary>
/// <param name="UserId">The acting user; also the Kafka key, so it picks the shard.</param>
/// <param name="ItemId">The item acted on.</param>
/// <param name="Type">What the user did.</param>
/// <param name="Value">A numeric value where the type has one (a rating), else <see langword="null"/>.</param>
/// <param name="Timestamp">Event time in Unix epoch milliseconds; all decay is computed from it.</param>
public sealed record BehaviourEvent(string UserId, string ItemId, EventType Type, float? Value, long Timestamp)
{
    /// <summary>The longest user or item id accepted, in UTF-8 bytes.</summary>
    public const int MaxIdBytes = 128;

    /// <summary>The longest text accepted (a tag), in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 256;

    /// <summary>What the user wrote, for a <see cref="EventType.Tag"/>; <see langword="null"/> for every other type.</summary>
    public string? Text { get; init; }
}
