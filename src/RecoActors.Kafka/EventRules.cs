namespace RecoActors.Kafka;

/// <summary>Limits an incoming event must respect; everything outside goes to the dead-letter topic.</summary>
/// <remarks>
/// The rules are deterministic (no wall clock): an event accepted once is accepted on every replay,
/// which the exactly-once guarantees rely on.
/// </remarks>
/// <param name="EarliestTimestamp">The earliest event time accepted, epoch ms (inclusive).</param>
/// <param name="LatestTimestamp">The latest event time accepted, epoch ms (exclusive).</param>
/// <param name="MaxEventBytes">The largest record value accepted, in bytes.</param>
/// <param name="MaxAbsValue">The largest magnitude of <c>value</c> accepted.</param>
public sealed record EventRules(long EarliestTimestamp, long LatestTimestamp, int MaxEventBytes, float MaxAbsValue)
{
    /// <summary>1990-01-01 to 2100-01-01, 64 KiB, |value| ≤ 1,000,000.</summary>
    public static EventRules Default { get; } = new(631_152_000_000, 4_102_444_800_000, 64 * 1024, 1_000_000f);
}
