using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using RecoActors.Core;

namespace RecoActors.Protocol;

/// <summary>
/// Asks a RecoActors cluster for recommendations with actor messages, from another .NET service: the client joins the
/// cluster as a member with <see cref="ClusterConfig.ClientRole"/> (it hosts no users) and asks the user region through
/// a proxy, which routes each request to the node that hosts the user and buffers it while the user's shard moves.
/// </summary>
/// <example>
/// <code>
/// await using var client = await RecommendationClient.ConnectAsync(new RecommendationClientOptions
/// {
///     Cluster = new ClusterOptions { Hostname = "10.0.0.7", Port = 0, SeedNodes = ["reco-node-0.reco-nodes:4053"] },
/// });
/// var top = await client.RecommendAsync("u42", 10);
/// </code>
/// </example>
public sealed class RecommendationClient : IAsyncDisposable
{
    /// <summary>The longest user id the cluster accepts, in UTF-8 bytes (longer ones are malformed events).</summary>
    public const int MaxUserIdBytes = 128;

    private readonly IActorRef _proxy;
    private readonly TimeSpan _timeout;

    private RecommendationClient(ActorSystem system, IActorRef proxy, ClusterDescription cluster, TimeSpan timeout)
    {
        System = system;
        _proxy = proxy;
        Partitions = cluster.Partitions;
        _timeout = timeout;
    }

    /// <summary>The client's actor system (a member of the cluster).</summary>
    public ActorSystem System { get; }

    /// <summary>Partitions of the cluster's events topic: the shards users are hashed onto, as the cluster told it.</summary>
    public int Partitions { get; }

    /// <summary>
    /// Joins the cluster through <see cref="ClusterOptions.SeedNodes"/>, asks a node how users are sharded, and starts
    /// the proxy.
    /// </summary>
    /// <exception cref="ArgumentException">An option is wrong; the message names each wrong field.</exception>
    /// <exception cref="TimeoutException">Not an Up member within <see cref="ClusterOptions.JoinTimeout"/>, or no node described the cluster.</exception>
    public static async Task<RecommendationClient> ConnectAsync(RecommendationClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { Count: > 0 } errors) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        var config = ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.log-dead-letters-during-shutdown = off
                akka.cluster.sharding.distributed-data.durable.keys = []
                """)
            .WithFallback(ConfigurationFactory.ParseString(ClusterConfig.Hocon(options.Cluster, ClusterConfig.ClientRole)))
            .WithFallback(ConfigurationFactory.ParseString(ProtocolSerializer.Hocon))
            .WithFallback(ClusterSharding.DefaultConfig());
        var system = ActorSystem.Create(options.Cluster.SystemName, config);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            cluster.JoinSeedNodes(ClusterConfig.SeedAddresses(options.Cluster));
            var joinTimeout = options.Cluster.JoinTimeout;
            try
            {
                await up.Task.WaitAsync(joinTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the client did not join the cluster through [{string.Join(", ", options.Cluster.SeedNodes)}] " +
                    $"within {joinTimeout.TotalSeconds:0.#} s (Cluster:JoinTimeout): is a node up there, with system name '{options.Cluster.SystemName}'?");
            }
            var description = await DescribeAsync(system, options.Timeout, joinTimeout, cancellationToken).ConfigureAwait(false);
            var proxy = ClusterSharding.Get(system).StartProxy(ClusterConfig.UserRegion, ClusterConfig.NodeRole, new UserShards(description.Partitions));
            return new RecommendationClient(system, proxy, description, options.Timeout);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A personal ranking of <paramref name="count"/> items for <paramref name="userId"/>, ranked on the node that hosts
    /// the user. A user the cluster has never seen gets popular items (<see cref="Recommendations.ColdStart"/>, and
    /// <see cref="Recommendations.EventsApplied"/> 0).
    /// </summary>
    /// <exception cref="ArgumentException">The user id is blank or too long, or the count is out of range.</exception>
    /// <exception cref="TimeoutException">No answer within <see cref="RecommendationClientOptions.Timeout"/>.</exception>
    /// <exception cref="RecommendationException">The user's node cannot rank for it (its stored state does not decode).</exception>
    public async Task<Recommendations> RecommendAsync(string userId, int count = 10, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(userId)) throw new ArgumentException("the user id is blank", nameof(userId));
        if (Encoding.UTF8.GetByteCount(userId) > MaxUserIdBytes) throw new ArgumentException($"the user id is longer than {MaxUserIdBytes} UTF-8 bytes", nameof(userId));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Recommend.MaxCount);
        object reply;
        try
        {
            reply = await _proxy.Ask<object>(new Recommend(userId, count), _timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new TimeoutException($"user '{userId}' (shard {UserShards.Of(userId, Partitions)}) did not answer within {_timeout.TotalSeconds:0.#} s: " +
                "its shard may be moving to another node, or its node may be down; retry shortly");
        }
        return reply switch
        {
            Recommendations answer when answer.UserId == userId => answer,
            RecommendationFailed failed when failed.UserId == userId => throw new RecommendationException(userId, failed.Node, failed.Reason),
            _ => throw new InvalidOperationException($"asked for user '{userId}', got {reply.GetType().Name} for another: this is a bug; please report it"),
        };
    }

    /// <summary>Leaves the cluster and stops the client's actor system.</summary>
    public async ValueTask DisposeAsync() =>
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);

    /// <summary>Asks the nodes, one after another, until one says how the cluster is sharded.</summary>
    private static async Task<ClusterDescription> DescribeAsync(ActorSystem system, TimeSpan timeout, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + within;
        var cluster = Akka.Cluster.Cluster.Get(system);
        while (true)
        {
            foreach (var node in cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole(ClusterConfig.NodeRole)))
            {
                try
                {
                    return await system.ActorSelection(new RootActorPath(node.Address) / "user" / ClusterConfig.DescriberName)
                        .Ask<ClusterDescription>(DescribeCluster.Instance, timeout, cancellationToken).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    // That node is going; another may answer.
                }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no node of the cluster described it within {within.TotalSeconds:0.#} s: are the members with role '{ClusterConfig.NodeRole}' RecoActors nodes?");
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Routes as the nodes' own region does: the shard is the user's Kafka partition (murmur2 of its id).</summary>
    private sealed class UserShards(int partitions) : IMessageExtractor
    {
        public static string Of(string userId, int partitions) => Murmur2Partitioner.Partition(userId, partitions).ToString(CultureInfo.InvariantCulture);

        public string? EntityId(object message) => (message as IUserMessage)?.UserId;

        public object? EntityMessage(object message) => message;

        public string? ShardId(object message) => message is IUserMessage user ? Of(user.UserId, partitions) : null;

        public string ShardId(string entityId, object? messageHint = null) => Of(entityId, partitions);
    }
}

/// <summary>The user's node answered, but cannot rank for the user.</summary>
/// <param name="userId">The user.</param>
/// <param name="node">The node that hosts the user.</param>
/// <param name="reason">Why, as the node said.</param>
public sealed class RecommendationException(string userId, string node, string reason)
    : Exception($"user '{userId}' on node {node}: {reason}")
{
    /// <summary>The user.</summary>
    public string UserId { get; } = userId;

    /// <summary>The node that hosts the user.</summary>
    public string Node { get; } = node;
}
