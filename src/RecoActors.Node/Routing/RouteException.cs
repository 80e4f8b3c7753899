namespace RecoActors.Node.Routing;

/// <summary>A request the router could not answer, with the HTTP status that says why.</summary>
/// <param name="status">421: this node was asked as the owner but is not; 503: no owner reachable now; other: the owner's answer.</param>
/// <param name="message">A sentence for the caller.</param>
public sealed class RouteException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status to answer with.</summary>
    public int Status { get; } = status;
}
