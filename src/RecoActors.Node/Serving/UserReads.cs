using System.Diagnostics;
using Akka.Actor;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Node.Http;
using RecoActors.Protocol;

namespace RecoActors.Node.Serving;

/// <summary>
/// Answers for any user on any node: asks the user region (Akka routes the ask to the node that hosts the entity, and
/// buffers it while the user's shard moves). Recommendations are ranked there, by that node's fusion actors, as for
/// an actor client; a profile's memberships are read here from this node's model, which every node holds alike.
/// </summary>
public sealed class UserReads(RecoNode node, NodeMetrics metrics)
{
    /// <summary>The node's instruments this records into.</summary>
    public NodeMetrics Metrics => metrics;

    /// <summary>A personal ranking of <paramref name="count"/> items; a user with no events gets a cold-start ranking.</summary>
    /// <exception cref="ReadException">The user's entity did not answer in time, or its stored state cannot be read.</exception>
    public async Task<RecommendationsResponse> RecommendAsync(string userId, int count, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = await AskAsync(userId, new Recommend(userId, count), cancellationToken).ConfigureAwait(false) switch
        {
            Recommendations r => r,
            RecommendationFailed failed => throw new ReadException(500, failed.Reason),
            var other => throw new ReadException(500, $"user '{userId}': unexpected answer {other.GetType().Name}"),
        };
        metrics.RecordRecommendation(Stopwatch.GetElapsedTime(started));
        return new RecommendationsResponse(userId, PartitionOf(userId), answer.Node, answer.ColdStart, answer.ModelVersion, answer.Memberships, answer.Items, answer.Weights);
    }

    /// <summary>A user's profile, or null for a user with no events.</summary>
    /// <exception cref="ReadException">The user's entity did not answer in time, or its stored state cannot be read.</exception>
    public async Task<ProfileResponse?> ProfileAsync(string userId, CancellationToken cancellationToken = default)
    {
        var user = (UserRead)await AskAsync(userId, new ReadUser(userId), cancellationToken).ConfigureAwait(false);
        if (ProfileOf(user) is not { } profile) return null;
        var memberships = Fusion.Recommend(profile, node.Model.Current, 0).Memberships;
        return new ProfileResponse(userId, PartitionOf(userId), user.Node, profile.EventsApplied, user.LastOffset, profile.LastTimestamp, memberships,
            profile.Vector, [.. user.Profile!.Recent.Reverse()]);
    }

    /// <summary>The user's partition: murmur2 of the id, as the producers' partitioner computes it.</summary>
    public int PartitionOf(string userId) => Murmur2Partitioner.Partition(userId, node.Partitions);

    private Profile? ProfileOf(UserRead user) => user.Profile?.ToProfile(node.Model.Catalog.GetOrAdd, node.Settings.Model);

    private async Task<object> AskAsync(string userId, IUserMessage question, CancellationToken cancellationToken)
    {
        try
        {
            return await node.Runtime.Region.Ask<object>(question, node.Settings.Http.Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or AskTimeoutException)
        {
            throw new ReadException(503, $"user '{userId}' (partition {PartitionOf(userId)}) did not answer within " +
                $"{node.Settings.Http.Timeout.TotalSeconds:0.#} s: its partition may be moving to another node, or the store may be down; retry shortly");
        }
        catch (InvalidOperationException ex)
        {
            throw new ReadException(500, ex.Message);
        }
    }
}
