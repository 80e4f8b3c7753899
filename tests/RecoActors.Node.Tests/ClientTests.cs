using System.Diagnostics;
using System.Net.Http.Json;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Node.Http;
using RecoActors.Protocol;

namespace RecoActors.Node.Tests;

/// <summary>Other services ask with actor messages: <see cref="RecommendationClient"/> and the sample program that uses it.</summary>
public sealed class ClientTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static RecommendationClientOptions Options(NodeServer seed, TimeSpan timeout)
    {
        var address = Akka.Cluster.Cluster.Get(seed.Node.System).SelfAddress;
        return new RecommendationClientOptions
        {
            Cluster = new ClusterOptions { Hostname = "127.0.0.1", Port = 0, SeedNodes = [$"{address.Host}:{address.Port}"] },
            Timeout = timeout,
        };
    }

    /// <summary>
    /// The sample as built in its own output folder (this test's folder lacks what it needs from NuGet: the node here
    /// gets those assemblies from ASP.NET's shared framework), in this test's configuration.
    /// </summary>
    private static string SampleProgram()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        var src = Path.Combine(Path.GetDirectoryName(SampleData.Folder)!, "..", "src");
        return Path.GetFullPath(Path.Combine(src, "RecoActors.Client.Sample", "bin", configuration, framework, "RecoActors.Client.Sample.dll"));
    }

    [Fact]
    public async Task The_sample_program_gets_what_http_answers()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.StartNodeAsync("node-a");
        var ratings = SampleData.Produce(cluster.Kafka, 5_000);
        await Eventually.True(() => node.Node.Context.Applied == ratings.Count && node.Node.EventsFolded == ratings.Count, Deadline, "every event applied and folded");

        var users = ratings.Select(r => r.UserId).Distinct().Take(3).Append("nobody-yet").ToArray();
        var seed = Akka.Cluster.Cluster.Get(node.Node.System).SelfAddress;
        using var sample = RecoProcess.StartProgram(SampleProgram(), null, [$"{seed.Host}:{seed.Port}", .. users]);
        Assert.True(await sample.WaitForExitAsync(Deadline) == 0, sample.Output);

        using var http = new HttpClient { BaseAddress = node.Address };
        var lines = sample.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var user in users)
        {
            var expected = (await http.GetFromJsonAsync($"/v1/users/{user}/recommendations?n=5", ApiJson.Default.RecommendationsResponse))!;
            var how = expected.ColdStart ? "cold start" : $"{ratings.Count(r => r.UserId == user)} events";
            Assert.Contains($"{user} @node-a v{expected.ModelVersion} ({how}): {string.Join(' ', expected.Items.Select(i => i.ItemId))}", lines);
        }
    }

    [Fact]
    public async Task A_client_asking_while_shards_move_gets_the_right_user_s_answer_or_a_clear_timeout_and_never_hangs()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartNodeAsync("node-a");
        var ratings = SampleData.Produce(cluster.Kafka, 10_000);
        await Eventually.True(() => a.Node.Context.Applied == ratings.Count && a.Node.EventsFolded == ratings.Count, Deadline, "every event applied and folded");
        var events = ratings.GroupBy(r => r.UserId).ToDictionary(g => g.Key, g => (long)g.Count());
        var users = events.Keys.Take(40).ToArray();

        var timeout = TimeSpan.FromSeconds(5);
        await using var client = await RecommendationClient.ConnectAsync(Options(a, timeout));
        Assert.Equal(TestCluster.Partitions, client.Partitions);

        // Phases: 0 before node b; 1 while b joins and takes shards over; 2 while b holds them; 3 while b leaves and hands them back.
        var phase = 0;
        var results = new List<(int Phase, string User, Recommendations? Answer, string? Error, TimeSpan Took)>();
        using var stop = new CancellationTokenSource();
        var asking = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var user = users[i % users.Length];
                var current = Volatile.Read(ref phase);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var answer = await client.RecommendAsync(user, 10);
                    lock (results) results.Add((current, user, answer, null, Stopwatch.GetElapsedTime(started)));
                }
                catch (TimeoutException ex)
                {
                    lock (results) results.Add((current, user, null, ex.Message, Stopwatch.GetElapsedTime(started)));
                }
            }
        });

        int Answered(int p)
        {
            lock (results) return results.Count(r => r.Phase == p && r.Answer is not null);
        }

        await Eventually.True(() => Answered(0) >= 40, Deadline, "answers before any move");
        Volatile.Write(ref phase, 1);
        var b = await cluster.StartNodeAsync("node-b");
        await Eventually.True(() => b.Node.Context.Progress.Count(p => p.Running) >= TestCluster.Partitions / 2 - 1, Deadline, "node b runs its share of partitions");
        var movedToB = b.Node.Context.Progress.Where(p => p.Running).Select(p => p.Partition).ToHashSet();
        Volatile.Write(ref phase, 2);
        await Eventually.True(() => Answered(2) >= 40, Deadline, "answers while b holds its share");
        Volatile.Write(ref phase, 3);
        await b.StopAsync();
        await Eventually.True(() => a.Node.Context.Progress.Count(p => p.Running) == TestCluster.Partitions, Deadline, "node a runs every partition again");
        await Eventually.True(() => Answered(3) >= 40, Deadline, "answers after b left");
        await stop.CancelAsync();
        await asking;

        Assert.All(results, r =>
        {
            // Never a hang: every request ends by its deadline (with a margin for a busy machine).
            Assert.True(r.Took < timeout + TimeSpan.FromSeconds(3), $"{r.User}: {r.Took.TotalSeconds:0.0} s");
            if (r.Answer is { } answer)
            {
                // The right user, with every one of its events: its state moved with its shard.
                Assert.Equal(r.User, answer.UserId);
                Assert.Equal(events[r.User], answer.EventsApplied);
                Assert.Equal(10, answer.Items.Length);
            }
            else Assert.Contains($"user '{r.User}'", r.Error);
        });
        // Users of the partitions that moved were asked while they moved, and answered from both nodes.
        bool OnB(string user) => movedToB.Contains(Core.Murmur2Partitioner.Partition(user, TestCluster.Partitions));
        Assert.Contains(results, r => r.Phase == 2 && r.Answer?.Node == "node-b" && OnB(r.User));
        Assert.Contains(results, r => r.Phase == 3 && r.Answer?.Node == "node-a" && OnB(r.User));
    }
}
