using System.Globalization;
using Akka.Configuration;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>The HOCON a node's actor system runs with, made from the node's settings (Akka's own defaults underneath).</summary>
public static class RuntimeConfig
{
    /// <summary>The role every recommender node has; the user region runs on members with it.</summary>
    public const string NodeRole = "reco-node";

    /// <summary>Builds the configuration: remoting, cluster, split-brain resolver, sharding, persistence, serializers.</summary>
    public static Config Build(ClusterOptions cluster, PersistenceStore store, RuntimeOptions runtime)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(runtime);
        var seeds = string.Join(", ", cluster.SeedNodes.Select(s => Quote($"akka.tcp://{cluster.SystemName}@{s}")));
        var provider = store.Kind == "postgres" ? "PostgreSQL.15" : "SQLite.MS";
        var hocon = $$"""
            akka {
              loglevel = INFO
              stdout-loglevel = WARNING
              log-dead-letters-during-shutdown = off
              actor.provider = cluster
              remote.use-dispatcher = akka.reco-cluster-dispatcher
              remote.dot-netty.tcp {
                hostname = {{Quote(cluster.Hostname)}}
                public-hostname = {{Quote(cluster.PublicHostname ?? cluster.Hostname)}}
                port = {{cluster.Port}}
              }
              cluster {
                seed-nodes = [{{seeds}}]
                roles = [{{NodeRole}}]
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{Seconds(cluster.StableAfter)}}
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
                sharding {
                  # How often a region asks again where a shard lives: a take-over waits for it.
                  retry-interval = 500ms
                  role = {{NodeRole}}
                  state-store-mode = ddata
                  remember-entities = off
                  distributed-data.durable.keys = []
                  # Partition actors passivate their idle users themselves, within the node's resident limit.
                  passivate-idle-entity-after = off
                  handoff-timeout = {{Seconds(runtime.HandOffTimeout + TimeSpan.FromSeconds(10))}}
                  rebalance-interval = 2s
                  least-shard-allocation-strategy {
                    rebalance-absolute-limit = 1000
                    rebalance-relative-limit = 1.0
                  }
                }
              }
              reco-cluster-dispatcher {
                type = ForkJoinDispatcher
                throughput = 100
                dedicated-thread-pool.thread-count = 2
              }
              # Hand-off persists every partition before the node leaves: the phase must outlast it.
              coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = {{Seconds(runtime.HandOffTimeout + TimeSpan.FromSeconds(10))}}
              persistence {
                max-concurrent-recoveries = 50
                journal {
                  plugin = "akka.persistence.journal.sql"
                  sql {
                    connection-string = {{Quote(store.ConnectionString)}}
                    provider-name = {{provider}}
                    auto-initialize = on
                  }
                }
                journal-plugin-fallback.circuit-breaker {
                  max-failures = 5
                  call-timeout = 10s
                  reset-timeout = 2s
                }
                snapshot-store {
                  plugin = "akka.persistence.snapshot-store.sql"
                  sql {
                    connection-string = {{Quote(store.ConnectionString)}}
                    provider-name = {{provider}}
                    auto-initialize = on
                  }
                }
                snapshot-store-plugin-fallback.circuit-breaker {
                  max-failures = 5
                  call-timeout = 10s
                  reset-timeout = 2s
                }
              }
            }
            """;
        var config = ConfigurationFactory.ParseString(hocon).WithFallback(ConfigurationFactory.ParseString(CompactMailbox.Hocon));
        if (store.Kind == "memory")
            config = ConfigurationFactory.ParseString("""
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """).WithFallback(config);
        return config
            .WithFallback(ConfigurationFactory.ParseString(ProtocolSerializer.Hocon))
            .WithFallback(ConfigurationFactory.ParseString(RuntimeSerializer.Hocon))
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration)
            .WithFallback(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig())
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig());
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    /// <summary>A HOCON quoted string.</summary>
    internal static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
