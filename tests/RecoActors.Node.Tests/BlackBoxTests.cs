using System.Net.Http.Json;
using RecoActors.Evaluation;
using RecoActors.Node.Http;
using RecoActors.Testing;

namespace RecoActors.Node.Tests;

/// <summary>The tool as users run it: separate processes for Kafka, the nodes and the producer.</summary>
public sealed class BlackBoxTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Three_nodes_one_killed_mid_stream_apply_every_valid_event_once()
    {
        var ratingsFile = Path.Combine(SampleData.Folder, "ratings.csv");
        Dictionary<string, int> expected;
        using (var reader = new StreamReader(ratingsFile))
            expected = RatingsFile.Read(reader).Ratings.GroupBy(r => r.UserId).ToDictionary(g => g.Key, g => g.Count());
        var total = expected.Values.Sum();

        using var kafka = RecoProcess.Start(null, "dev-kafka", "--partitions", "12");
        var bootstrap = await kafka.WaitForLineAsync("bootstrap.servers=", TimeSpan.FromSeconds(30));
        await using var database = Environment.GetEnvironmentVariable("RECO_TEST_POSTGRES") is null ? null : await PostgresTestDatabase.CreateAsync("reco_blackbox_");
        var folder = Directory.CreateTempSubdirectory("reco-blackbox-");
        var nodes = new List<(RecoProcess Process, HttpClient Http)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var port = RecoProcess.FreePort();
                var environment = new Dictionary<string, string>
                {
                    ["RECO__NODE__ID"] = $"node-{i}",
                    ["RECO__NODE__ENDPOINT"] = $"http://127.0.0.1:{port}",
                    ["RECO__HTTP__PORT"] = $"{port}",
                    ["RECO__KAFKA__BOOTSTRAPSERVERS"] = bootstrap,
                    ["RECO__KAFKA__SESSIONTIMEOUTMS"] = "6000",
                    ["RECO__KAFKA__HEARTBEATINTERVALMS"] = "500",
                    ["RECO__KAFKA__MAXPOLLINTERVALMS"] = "10000",
                    // Small commits: more store traffic, and more to redo after the kill.
                    ["RECO__SHARDS__COMMITEVERY"] = "500",
                    ["RECO__STORE__KIND"] = database is null ? "sqlite" : "postgres",
                    [database is null ? "RECO__STORE__PATH" : "RECO__STORE__CONNECTIONSTRING"] =
                        database?.ConnectionString ?? Path.Combine(folder.FullName, "reco.db"),
                };
                nodes.Add((RecoProcess.Start(environment, "serve"), new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }));
            }
            await Eventually.True(async () => (await Task.WhenAll(nodes.Select(n => StatusAsync(n.Http)))).All(s => s is { Ready: true, Held.Count: > 0 }),
                Deadline, "three ready nodes sharing the partitions").OrExplain(() => Diagnostics(nodes));

            using var produce = RecoProcess.Start(null, "produce", ratingsFile, "--bootstrap-servers", bootstrap);
            var victim = nodes[1];
            long appliedAtKill = 0;
            await Eventually.True(async () =>
            {
                appliedAtKill = (await Task.WhenAll(nodes.Select(n => StatusAsync(n.Http)))).Sum(s => s?.EventsApplied ?? 0);
                return appliedAtKill >= 5_000;
            }, Deadline, "ingestion under way");
            victim.Process.Kill();
            Assert.True(appliedAtKill < total, $"the kill came after all {total} events were applied: not mid-stream");
            Assert.Equal(0, await produce.WaitForExitAsync(Deadline));

            var survivors = nodes.Where(n => n != victim).ToList();
            await Eventually.True(async () =>
            {
                var status = await Task.WhenAll(survivors.Select(n => StatusAsync(n.Http)));
                return status.All(s => s is { Ready: true }) && status.Sum(s => s!.Held.Count) == 12 && status.All(s => s!.Lag.All(l => l.Lag == 0) && s.Lag.Count == s.Held.Count);
            }, Deadline, "the survivors hold every partition with zero lag").OrExplain(() => Diagnostics(survivors));

            var wrong = new List<string>();
            var errors = new List<string>();
            await Eventually.True(async () =>
            {
                wrong.Clear();
                var asked = 0;
                foreach (var (user, count) in expected)
                {
                    // Any node answers for any user: alternate between the survivors.
                    var http = survivors[asked++ % survivors.Count].Http;
                    using var response = await http.GetAsync($"/v1/users/{user}/profile");
                    if (!response.IsSuccessStatusCode)
                    {
                        errors.Add($"{user} via {http.BaseAddress}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        wrong.Add($"{user}: {(int)response.StatusCode}");
                        continue;
                    }
                    var profile = await response.Content.ReadFromJsonAsync(ApiJson.Default.ProfileResponse);
                    if (profile!.EventsApplied != count) wrong.Add($"{user}: {profile.EventsApplied} of {count}");
                }
                return wrong.Count == 0;
            }, Deadline, "every user's events applied exactly once")
                .OrExplain(() => string.Join("; ", wrong.Take(10)) + "\n" + string.Join("\n", errors.TakeLast(5)) + Diagnostics(survivors));
            // The last sweep answered every user with 200 and the right count; earlier sweeps may have met errors.
        }
        finally
        {
            foreach (var (process, http) in nodes)
            {
                http.Dispose();
                process.Dispose();
            }
            folder.Delete(recursive: true);
        }
    }

    private static async Task<NodeStatus?> StatusAsync(HttpClient http)
    {
        try
        {
            return await http.GetFromJsonAsync("/v1/node", ApiJson.Default.NodeStatus);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static string Diagnostics(IEnumerable<(RecoProcess Process, HttpClient Http)> nodes) =>
        string.Concat(nodes.Select(n => $"\n--- {n.Http.BaseAddress} ---\n{string.Join('\n', n.Process.Output.Split('\n').TakeLast(15))}"));
}
