using System.Globalization;

namespace RecoActors.Protocol;

/// <summary>
/// The HOCON every member of a RecoActors cluster shares, node or client: remoting, membership, the failure detector
/// and the split-brain resolver.
/// </summary>
/// <remarks>
/// The resolver's decision is taken by the cluster's leader, and any member can be the leader, a client too: so every
/// member runs the same resolver with the same settings, and majorities are counted over the nodes alone (a client
/// that comes and goes never tips a decision).
/// </remarks>
public static class ClusterConfig
{
    /// <summary>The role every recommender node has; the user region runs on members with it.</summary>
    public const string NodeRole = "reco-node";

    /// <summary>The role of a service that joins to ask for recommendations (<see cref="RecommendationClient"/>).</summary>
    public const string ClientRole = "reco-client";

    /// <summary>The user region's entity type name: a proxy must use the same.</summary>
    public const string UserRegion = "user";

    /// <summary>The actor under <c>/user</c> on every node that answers <see cref="DescribeCluster"/>.</summary>
    public const string DescriberName = "reco-cluster";

    /// <summary>
    /// The cluster part of a member's configuration, for a member with <paramref name="role"/>. It names no seed nodes:
    /// each member joins them itself (<see cref="SeedAddresses"/>) when it is ready to (a node once its model has caught up).
    /// </summary>
    public static string Hocon(ClusterOptions cluster, string role)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        return $$"""
            akka {
              actor.provider = cluster
              # Remoting stays on Akka's own dispatcher (the thread pool): on the cluster's two threads, every remote
              # message waited for one of them to wake, and a client's answers had twice the tail (p99 8-10 ms against
              # 5-7 under reco bench serve) with no faster fail-over (13.5 and 14.3 s against 12.6-13.3).
              remote.dot-netty.tcp {
                hostname = {{Quote(cluster.Hostname)}}
                public-hostname = {{Quote(cluster.PublicHostname ?? cluster.Hostname)}}
                port = {{cluster.Port}}
              }
              cluster {
                roles = [{{role}}]
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{Duration(cluster.StableAfter)}}
                  keep-majority.role = {{NodeRole}}
                }
                run-coordinated-shutdown-when-down = on
                # Heartbeats, gossip and the resolver on threads of their own: on the default dispatcher they queue behind
                # the users' work, so under load heartbeats arrive late, the failure detector learns a wide spread of
                # intervals, and a crashed node is found seconds later.
                use-dispatcher = akka.reco-cluster-dispatcher
                # Checked four times a second instead of once: a crash is acted on sooner at every step.
                unreachable-nodes-reaper-interval = 250ms
                leader-actions-interval = 250ms
                # A crashed node is marked unreachable a few seconds after its last heartbeat and downed stable-after
                # later; its shards move stable-after after that again (down-removal-margin: by then it has downed itself).
                failure-detector {
                  acceptable-heartbeat-pause = 2s
                  # Twice Akka's rate: the detector's estimate settles on more samples, and a silence shows sooner.
                  heartbeat-interval = 500ms
                  expected-response-after = 500ms
                }
              }
              reco-cluster-dispatcher {
                type = ForkJoinDispatcher
                throughput = 100
                dedicated-thread-pool.thread-count = 2
              }
            }
            """;
    }

    /// <summary>The seed nodes of <paramref name="cluster"/> as actor-system addresses.</summary>
    public static Akka.Actor.Address[] SeedAddresses(ClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return [.. cluster.SeedNodes.Select(s => Akka.Actor.Address.Parse($"akka.tcp://{cluster.SystemName}@{s}"))];
    }

    /// <summary>A duration as HOCON milliseconds.</summary>
    public static string Duration(TimeSpan t) => $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    /// <summary>A HOCON quoted string.</summary>
    public static string Quote(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
