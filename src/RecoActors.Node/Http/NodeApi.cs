using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RecoActors.Core;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Node.Serving;

namespace RecoActors.Node.Http;

/// <summary>
/// The HTTP API (DESIGN §3). Every error is <c>application/problem+json</c> with a sentence in <c>detail</c>; an
/// unknown user gets a cold-start ranking, not a 404; with <c>Reco:Http:Token</c> set, everything but health and
/// readiness needs the bearer token.
/// </summary>
internal static class NodeApi
{
    /// <summary>The node, set once it has started (the host starts the API and the actor system together).</summary>
    internal sealed class Holder
    {
        private volatile State? _state;

        public sealed record State(RecoNode Node, UserReads Reads, MetricsText Metrics);

        public State? Current => _state;

        public void Set(RecoNode node, UserReads reads, MetricsText metrics) => _state = new State(node, reads, metrics);
    }

    private const int MaxUserIdBytes = 128;
    private static readonly string[] Open = ["/healthz", "/readyz", "/v1/auth"];

    public static void Map(WebApplication app, RecoSettings settings, Holder holder)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The management port answers the bootstrap's probes and nothing else (no token: the network policy admits only nodes).
        if (settings.Discovery.Bootstraps) ContactPointApi.Map(app, settings.Discovery.ManagementPort);
        // The dashboard (wwwroot) loads without the token: the page asks for it once and sends it with every read.
        app.UseDefaultFiles();
        app.UseStaticFiles();
        // Routing after the files: routed first, every path would match the fallback below and no file would be served.
        app.UseRouting();
        if (settings.Http.Token is { } token) app.Use(RequireToken(token));
        app.MapGet("/v1/auth", () => Results.Json(new AuthInfo(settings.Http.Token is not null), ApiJson.Default.AuthInfo));

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        // Not ready once stopping: load balancers stop sending while the partitions are handed over.
        app.MapGet("/readyz", async () => app.Lifetime.ApplicationStopping.IsCancellationRequested ? Problem(503, "the node is stopping")
            : holder.Current is not { } s ? Problem(503, "the node is starting")
            : await s.Node.NotReadyAsync() is { } reason ? Problem(503, reason)
            : Results.Text("ready\n"));
        app.MapGet("/metrics", () => holder.Current is { } s
            ? Results.Text(s.Metrics.Render(), "text/plain; version=0.0.4; charset=utf-8")
            : Problem(503, "the node is starting"));

        var v1 = app.MapGroup("/v1");
        v1.MapGet("/node", () => WithAsync(holder, async s => Results.Ok(await StatusAsync(s.Node))));
        v1.MapGet("/users/{id}/recommendations", (string id, HttpRequest request, CancellationToken ct) => WithAsync(holder, async s =>
        {
            if (UserIdProblem(id) is { } bad) return bad;
            if (CountProblem(request.Query["n"], settings.Http.MaxRecommendations, out var n) is { } badCount) return badCount;
            return Results.Ok(await s.Reads.RecommendAsync(id, n, ct));
        }));
        v1.MapGet("/users/{id}/profile", (string id, CancellationToken ct) => WithAsync(holder, async s =>
        {
            if (UserIdProblem(id) is { } bad) return bad;
            return await s.Reads.ProfileAsync(id, ct) is { } profile
                ? Results.Ok(profile)
                : Problem(404, $"user '{id}' has no events");
        }));
        v1.MapGet("/segments", (HttpRequest request) => With(holder, s =>
        {
            if (CountProblem(request.Query["top"], settings.Http.MaxRecommendations, out var top, "top") is { } bad) return bad;
            return Results.Ok(SegmentsResponse.Of(s.Node, top));
        }));
        DashboardApi.Map(v1, holder);
        v1.MapPost("/events", (HttpRequest request, CancellationToken ct) => WithAsync(holder, s => IngestAsync(s.Node, request, settings.Http, ct)));

        app.MapFallback((HttpRequest request) => Problem(404, $"no such route: {request.Method} {request.Path}"));
    }

    private static async Task<IResult> IngestAsync(RecoNode node, HttpRequest request, HttpSettings http, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.MediaType != "application/json")
            return Problem(415, $"events must be sent as application/json (got '{request.ContentType}')");
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, ct);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException ex)
        {
            return Problem(ex.StatusCode, ex.StatusCode == 413 ? $"the body is larger than {http.MaxBodyBytes} bytes" : ex.Message);
        }
        List<byte[]> records;
        try
        {
            records = Split(body);
        }
        catch (JsonException ex)
        {
            return Problem(400, $"the body is not JSON: {ex.Message}");
        }
        if (records.Count == 0) return Problem(400, "the body holds no events");
        if (records.Count > http.MaxEventsPerRequest) return Problem(413, $"at most {http.MaxEventsPerRequest} events per request (got {records.Count})");
        var events = new List<BehaviourEvent>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            if (!EventCodec.TryDecode(records[i], EventRules.Default, out var ev, out var error))
                return Problem(400, records.Count == 1 ? $"invalid event: {error.Message} ({error.Code}); nothing was written"
                    : $"event {i}: {error.Message} ({error.Code}); nothing was written");
            events.Add(ev);
        }
        try
        {
            await Task.WhenAll(events.Select(e => node.Producer.ProduceAsync(e, ct)));
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            return Problem(503, $"Kafka did not take the events: {ex.Error.Reason}; retry (events are keyed by user, so a retry keeps their order)");
        }
        return Results.Json(new EventsAccepted(events.Count), ApiJson.Default.EventsAccepted, statusCode: 202);
    }

    /// <summary>One event object, or an array of them, as the raw UTF-8 of each.</summary>
    private static List<byte[]> Split(byte[] body)
    {
        var start = 0;
        while (start < body.Length && body[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') start++;
        if (start == body.Length) return [];
        if (body[start] != (byte)'[') return [body];
        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.EnumerateArray().Select(e => Encoding.UTF8.GetBytes(e.GetRawText()))];
    }

    private static async Task<NodeStatus> StatusAsync(RecoNode node)
    {
        var context = node.Context;
        return new NodeStatus(node.Id, await node.NotReadyAsync() is null, node.StoreAvailable, node.Partitions,
            [.. context.Progress.Where(p => p.Running).Select(p => p.Partition)], context.Applied, context.Residents.Count, node.DeadLetters,
            [.. node.Lag().OrderBy(l => l.Partition).Select(l => new PartitionLag(l.Partition, l.Lag))]);
    }

    private static IResult? UserIdProblem(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) return Problem(400, "the user id is empty");
        if (Encoding.UTF8.GetByteCount(id) > MaxUserIdBytes) return Problem(400, $"the user id is longer than {MaxUserIdBytes} UTF-8 bytes");
        if (id.Any(char.IsControl)) return Problem(400, "the user id contains control characters");
        return null;
    }

    private static IResult? CountProblem(string? text, int max, out int count, string name = "n")
    {
        count = 10;
        if (string.IsNullOrEmpty(text)) return null;
        if (!int.TryParse(text, out count) || count < 1 || count > max)
            return Problem(400, $"{name} must be a whole number from 1 to {max} (it was '{text}')");
        return null;
    }

    internal static IResult With(Holder holder, Func<Holder.State, IResult> handle) =>
        holder.Current is { } s ? handle(s) : Problem(503, "the node is starting");

    internal static async Task<IResult> WithAsync(Holder holder, Func<Holder.State, Task<IResult>> handle)
    {
        if (holder.Current is not { } s) return Problem(503, "the node is starting");
        try
        {
            return await handle(s);
        }
        catch (ReadException ex)
        {
            return Problem(ex.Status, ex.Message);
        }
    }

    internal static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string token)
    {
        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        return async (context, next) =>
        {
            if (Open.Contains(context.Request.Path.Value) ||
                CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), expected))
            {
                await next(context);
                return;
            }
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problem(401, context.Request.Headers.Authorization.Count == 0
                ? "this node needs 'Authorization: Bearer <token>'"
                : "the bearer token is wrong").ExecuteAsync(context);
        };
    }
}
