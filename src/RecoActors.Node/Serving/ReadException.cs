namespace RecoActors.Node.Serving;

/// <summary>A read could not be answered; <see cref="Status"/> is the HTTP status to report and the message says why.</summary>
public sealed class ReadException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status for the caller.</summary>
    public int Status { get; } = status;
}
