namespace RecoActors.Kafka;

/// <summary>
/// Where a model stands in the partials topic: every partial whose last chunk is at or below <paramref name="Completed"/>
/// is folded into it, and reading on from <paramref name="Resume"/> finds every later partial whole (a partial still
/// being assembled began there or later).
/// </summary>
/// <param name="Completed">Offset of the last chunk of the last partial folded; −1 before any.</param>
/// <param name="Resume">Where to read on from.</param>
public sealed record ExchangePosition(long Completed, long Resume)
{
    /// <summary>A model that has folded nothing: read from the topic's beginning.</summary>
    public static ExchangePosition Beginning { get; } = new(-1, 0);
}
