namespace RecoActors.Protocol;

/// <summary>How a <see cref="RecommendationClient"/> joins the cluster and how long it waits for answers.</summary>
public sealed record RecommendationClientOptions
{
    /// <summary>
    /// How the client joins: the cluster's system name, its seed nodes (<c>host:port</c>, required), and the address
    /// nodes reach the client at (<see cref="ClusterOptions.Hostname"/>; loopback by default, a pod's IP in
    /// Kubernetes). <see cref="ClusterOptions.StableAfter"/> must be the nodes' own: every member runs the same resolver.
    /// </summary>
    public ClusterOptions Cluster { get; init; } = new() { Hostname = "127.0.0.1", Port = 0 };

    /// <summary>How long one request may take before it fails with a <see cref="TimeoutException"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Every problem with these options, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(Cluster.Validate("Cluster"));
        if (Cluster.SeedNodes.Count == 0) errors.Add("Cluster:SeedNodes must name at least one node (host:port) to join through");
        if (Cluster.Hostname is "0.0.0.0" or "::" && Cluster.PublicHostname is null)
            errors.Add($"Cluster:PublicHostname is required when Cluster:Hostname is '{Cluster.Hostname}': nodes must reach the client at a real address");
        if (Timeout <= TimeSpan.Zero) errors.Add($"Timeout must be positive (it was {Timeout})");
        return errors;
    }
}
