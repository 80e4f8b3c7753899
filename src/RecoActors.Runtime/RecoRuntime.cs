using Akka.Actor;
using Akka.Cluster.Sharding;
using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime;

/// <summary>
/// A node's actors in a running actor system: the user region (user entities and one partition actor per shard),
/// the model actor with its segment actors, the fusion actors, the partition keep-alive, and the describer clients ask how
/// users are sharded.
/// </summary>
public sealed class RecoRuntime
{
    /// <summary>The sharded entity type's name.</summary>
    public const string TypeName = ClusterConfig.UserRegion;

    private RecoRuntime(ActorSystem system, NodeContext node)
    {
        System = system;
        Node = node;
    }

    /// <summary>The actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The node's shared state.</summary>
    public NodeContext Node { get; }

    /// <summary>The user region: tell or ask it any <see cref="IUserMessage"/>, for any user, from any node.</summary>
    public IActorRef Region => Node.Region;

    /// <summary>Starts the node's actors in <paramref name="system"/> (a cluster member with <see cref="ClusterConfig.NodeRole"/>).</summary>
    /// <param name="system">The actor system, configured by <see cref="RuntimeConfig.Build"/>.</param>
    /// <param name="node">The node's shared state.</param>
    /// <param name="publish">Sends merged partials to every node (the partials exchange); null folds locally.</param>
    /// <param name="folded">Told the events in each partial folded into the model.</param>
    /// <param name="snapshots">Where and how often the model is persisted (with an exchange); null: never.</param>
    /// <param name="saved">Told each model checkpoint the store confirmed.</param>
    public static RecoRuntime Start(ActorSystem system, NodeContext node, Action<ModelPartial>? publish = null, Action<long>? folded = null,
        ModelSnapshots? snapshots = null, Action<ModelCheckpoint>? saved = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(node);
        node.ModelActor = system.ActorOf(ModelActor.Props(node.Model, node.Contributions, node.Options.FoldInterval, publish, folded, snapshots, saved), "model");
        node.Fusion = system.ActorOf(FusionActor.Props(node), "fusion");
        system.ActorOf(Props.Create(() => new ClusterDescriber(node)), ClusterConfig.DescriberName);
        var sharding = ClusterSharding.Get(system);
        var settings = ClusterShardingSettings.Create(system).WithRole(ClusterConfig.NodeRole);
        var users = UserActor.Props(node);
        node.Region = sharding.Start(TypeName,
            id => id == UserMessageExtractor.PartitionEntityId ? PartitionActor.Props(node) : users,
            settings, new UserMessageExtractor(node), sharding.DefaultShardAllocationStrategy(settings), StopEntity.Instance);
        var keepAlive = system.ActorOf(PartitionKeepAlive.Props(node), "partition-keep-alive");
        // The runtime starts its background-collection threads when it first needs them: looked for again every few seconds.
        system.Scheduler.Advanced.ScheduleRepeatedly(TimeSpan.Zero, TimeSpan.FromSeconds(5), () => BackgroundCollections.Lower());
        // Stop waking partitions before the region hands them off, or the wakes would start them again while it leaves.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "stop-partition-keep-alive",
            () => keepAlive.GracefulStop(TimeSpan.FromSeconds(5)).ContinueWith(_ => Akka.Done.Instance, TaskScheduler.Default));
        return new RecoRuntime(system, node);
    }

    /// <summary>
    /// Joins <paramref name="system"/> to the cluster of <paramref name="seed"/>, or (none) makes it a cluster of its own,
    /// and completes when this member is Up.
    /// </summary>
    /// <exception cref="TimeoutException">Not Up within <paramref name="timeout"/>.</exception>
    public static async Task JoinAsync(ActorSystem system, Address? seed, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(system);
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(seed ?? cluster.SelfAddress);
        await up.Task.WaitAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>A user's state, from whichever node hosts the user.</summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/> (the user's shard is moving, or its node is down).</exception>
    public Task<UserRead> ReadUserAsync(string userId, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Region.Ask<UserRead>(new ReadUser(userId), timeout, cancellationToken);

    /// <summary>
    /// Why this node should not be sent requests yet, or null when it may: every partition's shard has a home in the
    /// cluster, and the partitions whose shards are here have recovered (so a read of their users is answered at once).
    /// </summary>
    /// <exception cref="AskTimeoutException">The region did not answer within <paramref name="timeout"/>.</exception>
    public async Task<string?> NotReadyAsync(TimeSpan timeout)
    {
        var stats = await Region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout * 2).ConfigureAwait(false);
        var homed = stats.Regions.Values.SelectMany(r => r.Stats.Keys).Distinct().Count();
        if (homed < Node.Partitions) return $"{homed} of {Node.Partitions} partitions have a home in the cluster so far";
        var here = await Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout).ConfigureAwait(false);
        var running = Node.Progress.Where(p => p.Running).Select(p => Node.PartitionIds[p.Partition]).ToHashSet();
        var starting = here.Shards.Select(s => s.ShardId).Where(s => !running.Contains(s)).Order().ToList();
        return starting.Count > 0 ? $"partitions {string.Join(", ", starting)} are starting here" : null;
    }

    /// <summary>Folds whatever has been contributed and returns the resulting snapshot.</summary>
    public Task<ModelSnapshot> FoldAsync(TimeSpan timeout) => Node.ModelActor.Ask<ModelSnapshot>(ModelCommand.FoldNow.Instance, timeout);
}
