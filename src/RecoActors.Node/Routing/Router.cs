using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using RecoActors.Actors;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Node.Http;
using RecoActors.Storage;

namespace RecoActors.Node.Routing;

/// <summary>
/// Answers for any user on any node (DESIGN §1.7): hashes the user to its partition as the producers do, answers
/// from the local shard when this node holds it, and otherwise forwards to the owner from the ownership table.
/// A stale owner answers 421 ("not mine"); the router then refreshes the table and tries once more.
/// </summary>
/// <remarks>Kafka Streams' interactive queries work the same way: owner lookup plus the application's own RPC.</remarks>
public sealed class Router
{
    /// <summary>Header marking a forwarded request: its receiver must answer itself or say 421, never forward again.</summary>
    public const string ForwardedHeader = "X-Reco-Forwarded-By";

    private readonly RecoNode _node;
    private readonly HttpClient _http;
    private readonly NodeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private volatile IReadOnlyDictionary<int, Owner> _owners = new Dictionary<int, Owner>();

    /// <summary>A router for <paramref name="node"/>, forwarding with <paramref name="http"/>.</summary>
    public Router(RecoNode node, HttpClient http, NodeMetrics metrics, ILogger logger)
    {
        _node = node;
        _http = http;
        _metrics = metrics;
        _logger = logger;
        _timeout = node.Settings.Http.Timeout;
    }

    /// <summary>The user's partition: murmur2 of the id, as the producers' partitioner computes it.</summary>
    public int PartitionOf(string userId) => Murmur2Partitioner.Partition(userId, _node.Partitions);

    /// <summary>A personal ranking of <paramref name="count"/> items, computed by the user's owner.</summary>
    /// <param name="userId">The user; one with no events gets a cold-start ranking.</param>
    /// <param name="count">How many items.</param>
    /// <param name="call">Who is asking: an outside caller (may be forwarded) or another node (must be answered here).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="RouteException">No owner could answer.</exception>
    public Task<RecommendationsResponse> RecommendAsync(string userId, int count, Call call, CancellationToken cancellationToken = default) =>
        RouteAsync(userId, call, (p, stale) => RecommendHereAsync(userId, p, count, stale, cancellationToken),
            $"/v1/users/{Uri.EscapeDataString(userId)}/recommendations?n={count}", ApiJson.Default.RecommendationsResponse, cancellationToken);

    /// <summary>A user's profile from its owner, or null for a user with no events.</summary>
    /// <exception cref="RouteException">No owner could answer.</exception>
    public async Task<ProfileResponse?> ProfileAsync(string userId, Call call, CancellationToken cancellationToken = default)
    {
        try
        {
            return await RouteAsync(userId, call, (p, stale) => ProfileHereAsync(userId, p, stale, cancellationToken),
                $"/v1/users/{Uri.EscapeDataString(userId)}/profile", ApiJson.Default.ProfileResponse, cancellationToken).ConfigureAwait(false);
        }
        catch (RouteException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    // here(partition, stale) answers on this node: from the local shard, or (stale) from the store.
    private async Task<T> RouteAsync<T>(string userId, Call call, Func<int, bool, Task<T?>> here, string path, JsonTypeInfo<T> json,
        CancellationToken cancellationToken) where T : class
    {
        var partition = PartitionOf(userId);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (_node.Actors.Region.Holds(partition))
            {
                try
                {
                    return await here(partition, false).ConfigureAwait(false) ?? throw new RouteException(404, $"user '{userId}' has no events");
                }
                catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
                {
                    // Revoked between the check and the ask: the partition moved; look it up again.
                    continue;
                }
                catch (TimeoutException)
                {
                    throw new RouteException(503, $"partition {partition} did not answer within {_timeout.TotalSeconds:0.#} s (its store may be down); retry later");
                }
            }
            if (call.Forwarded) throw new RouteException(421, $"partition {partition} is not on node {_node.Id}");
            var owner = await OwnerAsync(partition, refresh: attempt > 0, cancellationToken).ConfigureAwait(false);
            if (owner is null || owner.Node == _node.Id) continue;
            var answer = await ForwardAsync(owner, path, call, json, cancellationToken).ConfigureAwait(false);
            if (answer is not null) return answer;
        }
        // Nobody holds the partition: a hand-off is under way. After a graceful one the store has every applied event,
        // so the committed state answers (marked stale), as Kafka Streams' stale-store queries do during a rebalance.
        try
        {
            return await here(partition, true).ConfigureAwait(false) ?? throw new RouteException(404, $"user '{userId}' has no events");
        }
        catch (Exception ex) when (ex is not RouteException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug("A stale read of partition {Partition} failed: {Error}", partition, ex.Message);
        }
        throw new RouteException(503, $"partition {partition} has no reachable owner right now (a rebalance may be under way); retry shortly");
    }

    /// <summary>The owner's answer; null when it is not the owner any more or cannot be reached (refresh and retry).</summary>
    private async Task<T?> ForwardAsync<T>(Owner owner, string path, Call call, JsonTypeInfo<T> json, CancellationToken cancellationToken)
        where T : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, owner.Endpoint + path);
        request.Headers.Add(ForwardedHeader, _node.Id);
        if (call.Authorization is { } auth) request.Headers.TryAddWithoutValidation("Authorization", auth);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            using var response = await _http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.MisdirectedRequest) return null;
            if (response.IsSuccessStatusCode) return await response.Content.ReadFromJsonAsync(json, deadline.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
            throw new RouteException((int)response.StatusCode, $"node {owner.Node} answered {(int)response.StatusCode}: {body}");
        }
        catch (Exception ex) when (ex is HttpRequestException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("Forwarding to {Node} at {Endpoint} failed ({Error}); refreshing the ownership table", owner.Node, owner.Endpoint, ex.Message);
            return null;
        }
    }

    private async Task<Owner?> OwnerAsync(int partition, bool refresh, CancellationToken cancellationToken)
    {
        if (!refresh && _owners.TryGetValue(partition, out var known)) return known;
        try
        {
            var owners = await _node.Store.OwnersAsync(cancellationToken).ConfigureAwait(false);
            _owners = owners.ToDictionary(o => o.Partition);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("Could not read the ownership table: {Error}", ex.Message);
        }
        return _owners.GetValueOrDefault(partition);
    }

    private async Task<RecommendationsResponse?> RecommendHereAsync(string userId, int partition, int count, bool stale, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var user = await ReadUserAsync(userId, partition, stale, cancellationToken).ConfigureAwait(false);
        var snapshot = _node.Actors.Model.Current;
        var ranking = Fusion.Recommend(user?.Profile, snapshot, count);
        _metrics.RecordRecommendation(Stopwatch.GetElapsedTime(started));
        return new RecommendationsResponse(userId, partition, _node.Id, ranking.ColdStart, snapshot.Version, ranking.Memberships, ranking.Items, stale);
    }

    private async Task<ProfileResponse?> ProfileHereAsync(string userId, int partition, bool stale, CancellationToken cancellationToken)
    {
        if (await ReadUserAsync(userId, partition, stale, cancellationToken).ConfigureAwait(false) is not { } user) return null;
        var profile = user.Profile;
        var memberships = Fusion.Recommend(profile, _node.Actors.Model.Current, 0).Memberships;
        return new ProfileResponse(userId, partition, _node.Id, profile.EventsApplied, user.LastOffset, profile.LastTimestamp, memberships, profile.Vector, stale);
    }

    /// <summary>The user from the shard that holds the partition here, or (stale) as last committed to the store.</summary>
    private async Task<UserState?> ReadUserAsync(string userId, int partition, bool stale, CancellationToken cancellationToken)
    {
        if (!stale) return await _node.Actors.Region.ReadUserAsync(partition, userId, _timeout, cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        return await UserState.ReadCommittedAsync(_node.Store, userId, _node.Actors.Catalog, _node.Settings.Model, deadline.Token).ConfigureAwait(false);
    }
}

/// <summary>Who is asking the router.</summary>
/// <param name="Forwarded">True when another node forwarded the request: answer here or say 421.</param>
/// <param name="Authorization">The caller's Authorization header, passed on when forwarding.</param>
public readonly record struct Call(bool Forwarded = false, string? Authorization = null);
