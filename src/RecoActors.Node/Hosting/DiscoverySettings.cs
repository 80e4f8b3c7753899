using RecoActors.Protocol;

namespace RecoActors.Node.Hosting;

/// <summary>
/// How a node finds the others to form or join the cluster, bound from <c>Reco:Discovery</c>: the static seed nodes of
/// <c>Reco:Cluster:SeedNodes</c>, or Akka.Management's Cluster Bootstrap over a list of management endpoints (compose,
/// one machine) or over the pods the Kubernetes API lists.
/// </summary>
/// <remarks>
/// With bootstrap, every node answers the bootstrap's probes on <see cref="ManagementPort"/>; a starting node asks
/// each contact point whether it is in a cluster and joins it, and if none is (at least <see cref="RequiredContactPoints"/>
/// answer, all without a cluster), the one with the lowest address forms the cluster and the others join it.
/// </remarks>
public sealed class DiscoverySettings
{
    /// <summary>Static seeds (<c>Reco:Cluster:SeedNodes</c>; none: a cluster of its own).</summary>
    public const string Seeds = "seeds";

    /// <summary>Bootstrap over <see cref="Endpoints"/>.</summary>
    public const string Config = "config";

    /// <summary>Bootstrap over the pods the Kubernetes API lists for <see cref="PodLabelSelector"/>.</summary>
    public const string Kubernetes = "kubernetes";

    /// <summary>The name of the container port the Kubernetes discovery takes as a pod's management endpoint.</summary>
    public const string ManagementPortName = "management";

    /// <summary>The service name contact points are looked up by (config discovery's service, the bootstrap's logs).</summary>
    public const string ServiceName = "reco-node";

    /// <summary><see cref="Seeds"/>, <see cref="Config"/> or <see cref="Kubernetes"/>.</summary>
    public string Method { get; set; } = Seeds;

    /// <summary>The port the bootstrap's probes are answered on (all interfaces) with bootstrap.</summary>
    public int ManagementPort { get; set; } = 8558;

    /// <summary>
    /// The address the other nodes reach this node's management port at: what discovery returns for it (a pod's IP
    /// under Kubernetes). Defaults to <c>Reco:Cluster:PublicHostname</c>.
    /// </summary>
    public string? ManagementHostname { get; set; }

    /// <summary>With <see cref="Config"/>: every node's management endpoint as <c>host:port</c>, this one's included.</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = [];

    /// <summary>With <see cref="Kubernetes"/>: the label selector of the node pods (in the pod's own namespace).</summary>
    public string PodLabelSelector { get; set; } = "app.kubernetes.io/name=reco-actors,app.kubernetes.io/component=node";

    /// <summary>With <see cref="Kubernetes"/>: the namespace to list pods in; empty: the pod's own (from its service account).</summary>
    public string? PodNamespace { get; set; }

    /// <summary>
    /// How many contact points must answer before a new cluster may be formed. Below the replica count, so that a
    /// cluster forms while a pod cannot be scheduled; two or more, so that no node forms a cluster alone while the
    /// others are still starting.
    /// </summary>
    public int RequiredContactPoints { get; set; } = 2;

    /// <summary>Whether the node joins through Cluster Bootstrap (anything but <see cref="Seeds"/>).</summary>
    public bool Bootstraps => Method != Seeds;

    internal IEnumerable<string> Validate(ClusterOptions cluster, int httpPort)
    {
        const string section = "Reco:Discovery";
        if (Method is not (Seeds or Config or Kubernetes))
        {
            yield return $"{section}:Method '{Method}' must be '{Seeds}', '{Config}' or '{Kubernetes}'";
            yield break;
        }
        if (Method != Config && Endpoints.Count > 0) yield return $"{section}:Endpoints are read only with Method '{Config}' (it is '{Method}')";
        if (!Bootstraps) yield break;
        if (cluster.SeedNodes.Count > 0)
            yield return $"Reco:Cluster:SeedNodes must be empty with {section}:Method '{Method}': the bootstrap finds the cluster";
        if (ManagementPort is < 1 or > 65_535) yield return $"{section}:ManagementPort must be from 1 to 65535 (it was {ManagementPort})";
        else if (ManagementPort == cluster.Port || ManagementPort == httpPort)
            yield return $"{section}:ManagementPort {ManagementPort} is also Reco:Cluster:Port or Reco:Http:Port";
        if (ManagementHostname is { } host && string.IsNullOrWhiteSpace(host)) yield return $"{section}:ManagementHostname must not be blank";
        if (RequiredContactPoints < 1) yield return $"{section}:RequiredContactPoints must be at least 1 (it was {RequiredContactPoints})";
        if (Method == Config)
        {
            if (Endpoints.Count == 0) yield return $"{section}:Endpoints must list every node's management endpoint (host:port) with Method '{Config}'";
            foreach (var endpoint in Endpoints)
                if (endpoint.Split(':') is not [{ Length: > 0 }, var port] || !int.TryParse(port, out var p) || p is < 1 or > 65_535)
                    yield return $"{section}:Endpoints '{endpoint}' must be host:port";
            if (Endpoints.Count > 0 && RequiredContactPoints > Endpoints.Count)
                yield return $"{section}:RequiredContactPoints {RequiredContactPoints} is more than the {Endpoints.Count} endpoints listed";
        }
        if (Method == Kubernetes && string.IsNullOrWhiteSpace(PodLabelSelector))
            yield return $"{section}:PodLabelSelector is required with Method '{Kubernetes}'";
    }
}
