using Akka.Configuration;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>The HOCON a node's actor system runs with, made from the node's settings (Akka's own defaults underneath).</summary>
public static class RuntimeConfig
{
    /// <summary>Builds the configuration: remoting, cluster, split-brain resolver, sharding, persistence, serializers.</summary>
    public static Config Build(ClusterOptions cluster, PersistenceStore store, RuntimeOptions runtime)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(runtime);
        var provider = store.Kind == "postgres" ? "PostgreSQL.15" : "SQLite.MS";
        var hocon = $$"""
            akka {
              loglevel = INFO
              stdout-loglevel = WARNING
              log-dead-letters-during-shutdown = off
              cluster {
                sharding {
                  # How often a region asks again where a shard lives: a take-over waits for it.
                  retry-interval = 500ms
                  role = {{ClusterConfig.NodeRole}}
                  state-store-mode = ddata
                  remember-entities = off
                  distributed-data.durable.keys = []
                  # Partition actors passivate their idle users themselves, within the node's resident limit.
                  passivate-idle-entity-after = off
                  handoff-timeout = {{ClusterConfig.Duration(runtime.HandOffTimeout + TimeSpan.FromSeconds(10))}}
                  rebalance-interval = 2s
                  least-shard-allocation-strategy {
                    rebalance-absolute-limit = 1000
                    rebalance-relative-limit = 1.0
                  }
                }
              }
              # Hand-off persists every partition before the node leaves: the phase must outlast it.
              coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = {{ClusterConfig.Duration(runtime.HandOffTimeout + TimeSpan.FromSeconds(10))}}
              persistence {
                max-concurrent-recoveries = 50
                journal {
                  plugin = "akka.persistence.journal.sql"
                  sql {
                    connection-string = {{ClusterConfig.Quote(store.ConnectionString)}}
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
                    connection-string = {{ClusterConfig.Quote(store.ConnectionString)}}
                    provider-name = {{provider}}
                    auto-initialize = on
                  }
                  # The model's snapshot, the same table through a store of its own (ModelSnapshots.StorePlugin).
                  {{ModelSnapshots.StoreName}} {
                    class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                    plugin-dispatcher = "{{ModelSnapshots.Dispatcher}}"
                    connection-string = {{ClusterConfig.Quote(store.ConnectionString)}}
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
        var config = ConfigurationFactory.ParseString(hocon).WithFallback(ConfigurationFactory.ParseString(CompactMailbox.Hocon))
            .WithFallback(ConfigurationFactory.ParseString(ModelActor.DispatcherHocon))
            .WithFallback(ConfigurationFactory.ParseString(ModelSnapshots.DispatcherHocon));
        if (store.Kind == "memory")
            config = ConfigurationFactory.ParseString($$"""
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                akka.persistence.snapshot-store.{{ModelSnapshots.StoreName}} {
                  class = "Akka.Persistence.Snapshot.MemorySnapshotStore, Akka.Persistence"
                  plugin-dispatcher = "{{ModelSnapshots.Dispatcher}}"
                }
                """).WithFallback(config);
        return config
            .WithFallback(ConfigurationFactory.ParseString(ClusterConfig.Hocon(cluster, ClusterConfig.NodeRole)))
            .WithFallback(ConfigurationFactory.ParseString(ProtocolSerializer.Hocon))
            .WithFallback(ConfigurationFactory.ParseString(RuntimeSerializer.Hocon))
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration)
            .WithFallback(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig())
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig());
    }
}
