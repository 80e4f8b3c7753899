namespace RecoActors.Kafka;

/// <summary>Why a record could not become a <see cref="Core.BehaviourEvent"/>.</summary>
/// <param name="Code">A stable slug (for metrics, alerts and the dead-letter header), e.g. <c>too-long</c>.</param>
/// <param name="Message">A sentence for the person reading the dead-letter topic.</param>
public sealed record DecodeError(string Code, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code}: {Message}";
}
