using System.Net.Http.Headers;
using System.Net.Http.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using RecoActors.Evaluation;
using RecoActors.Kafka;
using RecoActors.Node.Hosting;
using RecoActors.Node.Http;
using Xunit.Abstractions;

namespace RecoActors.Node.Tests;

/// <summary>The dashboard in Debian's headless Chromium against a running node: every view, live, with and without the token.</summary>
public sealed class DashboardTests(ITestOutputHelper output) : IDisposable
{
    private const string Token = "dashboard-token-0123456789";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private readonly DirectoryInfo _profile = Directory.CreateTempSubdirectory("reco-chromium-");

    [Fact]
    public async Task Each_view_loads_shows_live_numbers_and_the_user_view_shows_what_the_api_answers()
    {
        await using var cluster = new TestCluster();
        var node = await StartAsync(cluster, token: null);
        var ratings = Ratings();
        using var stream = new Stream(cluster.Kafka, ratings[..20_000]);
        using var browser = Browser();
        browser.Navigate().GoToUrl(node.Address);

        // Cluster: the counters move while events stream in; the member and its twelve partitions are listed.
        var first = await TextOnceAsync(browser, "applied", t => t != "–" && t != "0");
        await UntilAsync(() => browser.FindElement(By.Id("applied")).Text != first, "events applied to change on the page while events stream in");
        await UntilAsync(() => browser.FindElement(By.Id("events-rate")).Text is not ("–" or "0"), "an events/s figure");
        Assert.Contains("(this node)", browser.FindElement(By.CssSelector("#members tbody")).Text);
        await UntilAsync(() => browser.FindElements(By.CssSelector("#partitions tbody tr")).Count == TestCluster.Partitions, "the node's twelve partitions listed");
        await UntilAsync(() => browser.FindElements(By.CssSelector("#rates-chart polyline")).Count == 2, "the events/s and requests/s lines drawn");
        using (var producer = EventProducer.Create(cluster.Kafka))
        {
            producer.ProduceRaw("someone", "not json"u8.ToArray());
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        await UntilAsync(() => browser.FindElement(By.CssSelector("#dead-letter-codes tbody")).Text.Contains("not-json 1", StringComparison.Ordinal), "the dead letter counted by its code");
        Shoot(browser, "cluster");

        // Segments: one row per segment with titled top items, the map of centroids and users, the weight chart.
        browser.FindElement(By.CssSelector("nav button[data-view=segments]")).Click();
        await UntilAsync(() => browser.FindElements(By.CssSelector("#segment-table tbody tr")).Count == 4, "the four segments listed");
        await UntilAsync(() => browser.FindElements(By.CssSelector("#map circle")).Count > 10, "users on the map");
        Assert.Equal(4, browser.FindElements(By.CssSelector("#map rect")).Count);
        Assert.Contains("(19", browser.FindElement(By.CssSelector("#segment-table tbody")).Text); // titles with their year, not bare ids
        var version = browser.FindElement(By.Id("segments-version")).Text;
        await UntilAsync(() => browser.FindElement(By.Id("segments-version")).Text != version, "the model version to move on the page while events stream in");
        Shoot(browser, "segments");

        // User: once everything is applied and folded, the page's items and scores are the API's.
        await stream.DisposeAsync();
        await Eventually.True(() => node.Node.Context.Applied == 20_000, Within, "all 20,000 events applied");
        using var http = new HttpClient { BaseAddress = node.Address };
        await Eventually.True(async () => (await http.GetFromJsonAsync("/v1/dashboard/cluster", ApiJson.Default.ClusterView))!.ModelVersion == node.Node.Model.Current.Version
            && node.Node.Context.Applied == node.Node.EventsFolded, Within, "the model folded every event");
        var user = ratings[..20_000].GroupBy(r => r.UserId).OrderByDescending(g => g.Count()).First().Key;
        browser.FindElement(By.CssSelector("nav button[data-view=user]")).Click();
        Show(browser, user);
        await UntilAsync(() => browser.FindElements(By.CssSelector("#recommendations tbody tr")).Count == 10, $"user {user}'s ten recommendations");
        var api = (await http.GetFromJsonAsync($"/v1/users/{user}/recommendations?n=10", ApiJson.Default.RecommendationsResponse))!;
        var shown = browser.FindElements(By.CssSelector("#recommendations tbody tr")).Select(r => (r.GetAttribute("data-item")!, float.Parse(r.GetAttribute("data-score")!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(api.Items.Select(i => (i.ItemId, i.Score)), shown);
        Assert.False(api.ColdStart);
        Assert.True(browser.FindElement(By.Id("cold-start")).GetAttribute("hidden") is not null, "a user with events is not marked cold start");
        Assert.NotEmpty(browser.FindElements(By.CssSelector("#memberships .membership")));
        Assert.NotEmpty(browser.FindElements(By.CssSelector("#recent li")));
        Shoot(browser, "user");

        Show(browser, "nobody-at-all");
        await UntilAsync(() => browser.FindElement(By.Id("user-message")).Text.Contains("'nobody-at-all' has no events yet", StringComparison.Ordinal), "the unknown user's message");
        Assert.True(browser.FindElement(By.Id("cold-start")).Displayed, "the unknown user's answer is marked cold start");

        AssertNoConsoleErrors(browser);
    }

    [Fact]
    public async Task Behind_the_token_the_page_asks_for_it_once_then_shows_the_node()
    {
        await using var cluster = new TestCluster();
        var node = await StartAsync(cluster, Token);
        SampleData.Produce(cluster.Kafka, 2_000);
        using var browser = Browser();
        browser.Navigate().GoToUrl(node.Address);

        await UntilAsync(() => browser.FindElement(By.Id("login")).Displayed, "the page asks for the token");
        Assert.Equal("–", browser.FindElement(By.Id("applied")).Text);
        browser.FindElement(By.Id("token")).SendKeys(Token);
        browser.FindElement(By.CssSelector("#login button")).Click();
        await TextOnceAsync(browser, "applied", t => t is not ("–" or "0"));
        Assert.False(browser.FindElement(By.Id("login")).Displayed);

        // Asked once: a reload in the same tab keeps it.
        browser.Navigate().Refresh();
        await TextOnceAsync(browser, "applied", t => t is not ("–" or "0"));
        Assert.False(browser.FindElement(By.Id("login")).Displayed);
        AssertNoConsoleErrors(browser);
    }

    [Fact]
    public async Task The_cluster_view_shows_every_node_with_the_partitions_it_runs_and_their_lag()
    {
        await using var cluster = new TestCluster();
        var a = await StartAsync(cluster, token: null, "dashboard-a");
        var b = await StartAsync(cluster, token: null, "dashboard-b");
        SampleData.Produce(cluster.Kafka, 3_000);
        using var http = new HttpClient { BaseAddress = b.Address };
        ClusterView? view = null;
        await Eventually.True(async () =>
        {
            view = await http.GetFromJsonAsync("/v1/dashboard/cluster", ApiJson.Default.ClusterView);
            return view!.Members.Count == 2 && view.Members.All(m => m.Node is not null && m.Partitions.Count > 0)
                && view.Members.SelectMany(m => m.Partitions).All(p => p.Lag == 0);
        }, Within, "both nodes described, each running partitions, all caught up");
        Assert.Equal(["dashboard-a", "dashboard-b"], view!.Members.Select(m => m.Node!).Order());
        Assert.Equal(Enumerable.Range(0, TestCluster.Partitions), view.Members.SelectMany(m => m.Partitions).Select(p => p.Partition).Order());
        Assert.Equal("dashboard-b", Assert.Single(view.Members, m => m.Self).Node);
        Assert.Equal(3_000, view.Members.Sum(m => m.EventsApplied));
    }

    public void Dispose() => _profile.Delete(recursive: true);

    private static async Task<NodeServer> StartAsync(TestCluster cluster, string? token, string id = "dashboard-node")
    {
        var settings = new Dictionary<string, string?>
        {
            ["Reco:ItemsPath"] = SampleData.Folder,
            // The dashboard is the subject here: hashing keeps the start short (the language model has tests of its own).
            ["Reco:Model:TextEmbedder"] = "hashing",
            ["Reco:Exchange"] = "false",
        };
        if (token is not null) settings["Reco:Http:Token"] = token;
        var node = await cluster.StartNodeAsync(id, settings);
        using var http = new HttpClient { BaseAddress = node.Address };
        await Eventually.True(async () => (await http.GetAsync("/readyz")).IsSuccessStatusCode, Within, "the node is ready");
        return node;
    }

    private ChromeDriver Browser()
    {
        // Debian's Chromium and its driver; flags as this machine's probe found them to work on a closed network.
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1100", $"--user-data-dir={_profile.FullName}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static List<Rating> Ratings()
    {
        using var reader = new StreamReader(SampleData.Ratings);
        return [.. RatingsFile.Read(reader).Ratings.OrderBy(r => r.Timestamp)];
    }

    private static void Show(ChromeDriver browser, string user)
    {
        var input = browser.FindElement(By.Id("user-id"));
        input.Clear();
        input.SendKeys(user);
        browser.FindElement(By.CssSelector("#user-form button")).Click();
    }

    private void Shoot(ChromeDriver browser, string view)
    {
        Directory.CreateDirectory(Screenshots);
        var path = Path.Combine(Screenshots, $"dashboard-{view}.png");
        browser.GetScreenshot().SaveAsFile(path);
        output.WriteLine($"{view} view: {path}");
    }

    private static void AssertNoConsoleErrors(ChromeDriver browser)
    {
        var errors = browser.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.True(errors.Count == 0, "the page logged:\n" + string.Join("\n", errors));
    }

    private static async Task<string> TextOnceAsync(ChromeDriver browser, string id, Func<string, bool> ready)
    {
        string text = "";
        await UntilAsync(() => ready(text = browser.FindElement(By.Id(id)).Text), $"#{id} to show a figure");
        return text;
    }

    private static Task UntilAsync(Func<bool> condition, string what) => Eventually.True(() => Task.FromResult(condition()), Within, what);

    /// <summary>Ratings produced at about 2,000 a second, so the page has something live to show; disposing waits for the last.</summary>
    private sealed class Stream(KafkaOptions kafka, IReadOnlyList<Rating> ratings) : IAsyncDisposable, IDisposable
    {
        private readonly Task _loop = Task.Run(async () =>
        {
            using var producer = EventProducer.Create(kafka);
            for (var i = 0; i < ratings.Count; i++)
            {
                producer.Produce(ratings[i].ToEvent());
                if (i % 500 == 499) await Task.Delay(250).ConfigureAwait(false);
            }
            producer.Flush(TimeSpan.FromSeconds(30));
        });

        public async ValueTask DisposeAsync() => await _loop;

        public void Dispose() => _loop.Wait(Within);
    }
}
