using Akka.Actor;
using Akka.Discovery.Config.Hosting;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Dsl;
using RecoActors.Protocol;

namespace RecoActors.Node.Hosting;

/// <summary>
/// Akka.Management's Cluster Bootstrap and the discovery method of <see cref="DiscoverySettings"/>, added to a node's
/// actor system; nothing with static seeds.
/// </summary>
/// <remarks>
/// Akka.Management's own HTTP server cannot run here: its Akka.Http.Shim was built against Ceen.Httpd 0.9.9 and only
/// 0.9.10 is served, whose <c>ListenAsync</c> changed signature (a <see cref="MissingMethodException"/> when it binds).
/// The bootstrap needs one route of it, which the node's Kestrel serves on the management port instead
/// (<see cref="Http.ContactPointApi"/>); the coordinator and the join decision are Akka.Management's, the discovery
/// Akka's config discovery or <see cref="KubernetesPodDiscovery"/>.
/// </remarks>
public static class ClusterDiscovery
{
    /// <summary>Adds the bootstrap's settings and its discovery to <paramref name="akka"/>; <see cref="StartBootstrapAsync"/> starts it.</summary>
    public static AkkaConfigurationBuilder WithClusterDiscovery(this AkkaConfigurationBuilder akka, DiscoverySettings discovery, ClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(akka);
        ArgumentNullException.ThrowIfNull(discovery);
        ArgumentNullException.ThrowIfNull(cluster);
        if (!discovery.Bootstraps) return akka;
        // Settings only (the server is not started; Kestrel listens): the bootstrap takes its fallback port from them.
        akka.WithAkkaManagement(new AkkaManagementOptions
        {
            HostName = ManagementHostname(discovery, cluster),
            Port = discovery.ManagementPort,
        });
        akka.WithClusterBootstrap(autoStart: false, configure: options =>
        {
            options.ContactPointDiscovery.ServiceName = DiscoverySettings.ServiceName;
            options.ContactPointDiscovery.RequiredContactPointsNr = discovery.RequiredContactPoints;
            // A peer still starting (its JIT, Kafka metadata, the language model: seconds on two cores) is not a failed
            // contact point; Akka's 3 s default declared it one, at error level, and rediscovered.
            options.ContactPoint.ProbingFailureTimeout = TimeSpan.FromSeconds(20);
            if (discovery.Method == DiscoverySettings.Kubernetes)
                options.ContactPointDiscovery.PortName = DiscoverySettings.ManagementPortName;
            // Listed endpoints carry their ports, and on one machine every node has the same host: keep them all.
            else
                options.ContactPoint.FilterOnFallbackPort = false;
        });
        return discovery.Method == DiscoverySettings.Kubernetes
            ? akka.AddHocon(KubernetesPodDiscovery.Hocon(discovery.PodLabelSelector, discovery.PodNamespace), HoconAddMode.Prepend)
            : akka.WithConfigDiscovery(new ConfigServiceDiscoveryOptions
            {
                Services = [new Service { Name = DiscoverySettings.ServiceName, Endpoints = [.. discovery.Endpoints] }],
            });
    }

    /// <summary>
    /// Starts the bootstrap: it looks the contact points up, probes them, and joins the cluster one of them is in, or
    /// forms one (<see cref="DiscoverySettings"/>).
    /// </summary>
    public static Task StartBootstrapAsync(ActorSystem system, DiscoverySettings discovery, ClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(system);
        var bootstrap = ClusterBootstrap.Get(system);
        // Tells the bootstrap where its own contact point is (what Akka.Management's server would on binding).
        _ = bootstrap.Routes(ManagementRouteProviderSettings.Create(new Uri($"http://{ManagementHostname(discovery, cluster)}:{discovery.ManagementPort}/"), readOnly: true));
        return bootstrap.Start();
    }

    /// <summary>Where the others reach this node's management routes.</summary>
    public static string ManagementHostname(DiscoverySettings discovery, ClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(discovery);
        ArgumentNullException.ThrowIfNull(cluster);
        return discovery.ManagementHostname ?? cluster.PublicHostname ?? cluster.Hostname;
    }

    /// <summary>How this node finds the cluster, for logs and errors.</summary>
    public static string Describe(DiscoverySettings discovery, ClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(discovery);
        ArgumentNullException.ThrowIfNull(cluster);
        return discovery.Method switch
        {
            DiscoverySettings.Config => $"bootstrap over the endpoints [{string.Join(", ", discovery.Endpoints)}] (Reco:Discovery:Endpoints)",
            DiscoverySettings.Kubernetes => $"bootstrap over the pods labelled '{discovery.PodLabelSelector}' (Reco:Discovery:PodLabelSelector)",
            _ when cluster.SeedNodes.Count == 0 => "a cluster of its own (no Reco:Cluster:SeedNodes)",
            _ => $"the seed nodes [{string.Join(", ", cluster.SeedNodes)}] (Reco:Cluster:SeedNodes)",
        };
    }
}
