using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RecoActors.Node.Hosting;
using RecoActors.Node.Http;

namespace RecoActors.Node.Tests;

public sealed class ApiTests
{
    private const string Token = "test-token-0123456789";

    [Fact]
    public async Task Bad_requests_get_the_right_4xx_with_a_readable_message_and_the_node_keeps_serving()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.StartNodeAsync("api-node", new Dictionary<string, string?> { ["Reco:Http:Token"] = Token });
        using var http = Client(node, Token);
        await Eventually.True(async () => (await http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the node is ready");

        var longId = new string('x', 129);
        var cases = new (HttpRequestMessage Request, HttpStatusCode Status, string Says)[]
        {
            (Get($"/v1/users/{longId}/recommendations"), HttpStatusCode.BadRequest, "longer than 128"),
            (Get("/v1/users/a%01b/profile"), HttpStatusCode.BadRequest, "control characters"),
            (Get("/v1/users/u1/recommendations?n=0"), HttpStatusCode.BadRequest, "from 1 to 100"),
            (Get("/v1/users/u1/recommendations?n=1000000"), HttpStatusCode.BadRequest, "from 1 to 100"),
            (Get("/v1/users/u1/recommendations?n=ten"), HttpStatusCode.BadRequest, "whole number"),
            (Post("""{"userId":"u1","itemId":"m1","type":"view","ts":1700000000000}""", "text/plain"), HttpStatusCode.UnsupportedMediaType, "application/json"),
            (Post("[" + string.Join(",", Enumerable.Repeat("""{"userId":"u1","itemId":"m1","type":"view","ts":1700000000000}""", 20_000)) + "]"),
                HttpStatusCode.RequestEntityTooLarge, "larger than"),
            (Post("""{"userId":"u1","itemId":"""), HttpStatusCode.BadRequest, "invalid event"),
            (Post("""[{"userId":"u1","itemId":"m1","type":"view","ts":1700000000000},{"userId":"u1","itemId":"m1","type":"teleport","ts":1700000000000}]"""),
                HttpStatusCode.BadRequest, "event 1"),
            (Post("[1,"), HttpStatusCode.BadRequest, "not JSON"),
            (Get("/v2/nothing"), HttpStatusCode.NotFound, "no such route"),
        };
        foreach (var (request, status, says) in cases)
        {
            var what = $"{request.Method} {request.RequestUri}";
            using var response = await http.SendAsync(request);
            Assert.True(status == response.StatusCode, $"{what}: expected {(int)status}, got {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
            Assert.Contains(says, detail);
        }

        // Nothing above was written: the one good event below is the user's first.
        using var accepted = await http.SendAsync(Post("""{"userId":"u1","itemId":"m1","type":"rating","value":5,"ts":1700000000000}"""));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await Eventually.True(async () => (await http.GetAsync("/v1/users/u1/profile")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "u1's event applied");
        var profile = await http.GetFromJsonAsync("/v1/users/u1/profile", ApiJson.Default.ProfileResponse);
        Assert.Equal(1, profile!.EventsApplied);
        Assert.Equal(1_700_000_000_000, profile.LastEventTime);
        Assert.Equal(64, profile.Vector.Length);

        // An unknown user gets a cold-start ranking, not a 404.
        var cold = await http.GetFromJsonAsync("/v1/users/never-seen/recommendations?n=5", ApiJson.Default.RecommendationsResponse);
        Assert.True(cold!.ColdStart);
        Assert.Null(cold.Weights);
        Assert.Equal("api-node", cold.Node);
        // A known user's ranking says which learned weights fused its terms.
        var known = await http.GetFromJsonAsync("/v1/users/u1/recommendations?n=5", ApiJson.Default.RecommendationsResponse);
        Assert.False(known!.ColdStart);
        Assert.True(known.Weights is { Segments: > 0, Personal: > 0, Related: > 0, Local: > 0 }, $"weights {known.Weights}");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task With_a_token_only_health_and_readiness_are_open()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.StartNodeAsync("auth-node", new Dictionary<string, string?> { ["Reco:Http:Token"] = Token });
        using var anonymous = Client(node, token: null);
        using var wrong = Client(node, "not-the-token-at-all");
        using var right = Client(node, Token);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        await Eventually.True(async () => (await anonymous.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "readiness is open");
        foreach (var path in new[] { "/v1/users/u1/recommendations", "/v1/segments", "/metrics", "/v1/node" })
        {
            var missing = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains("Authorization: Bearer", await missing.Content.ReadAsStringAsync());
            var bad = await wrong.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
            Assert.Contains("wrong", await bad.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await right.GetAsync(path)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(Post("""{"userId":"u1","itemId":"m1","type":"view","ts":1700000000000}"""))).StatusCode);
        Assert.Contains("reco_events_applied_total", await right.GetStringAsync("/metrics"));
    }

    private static HttpClient Client(NodeServer node, string? token)
    {
        var http = new HttpClient { BaseAddress = node.Address };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static HttpRequestMessage Post(string body, string contentType = "application/json") =>
        new(HttpMethod.Post, "/v1/events") { Content = new StringContent(body, Encoding.UTF8, contentType) };
}
