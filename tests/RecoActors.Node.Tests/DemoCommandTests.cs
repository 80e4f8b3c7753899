namespace RecoActors.Node.Tests;

/// <summary><c>reco demo --stay</c> as users run it: the node stays up for its dashboard until it is stopped, and a stop ends the demo.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-demo-");

    [Fact]
    public async Task A_demo_that_stays_up_exits_0_on_SIGTERM()
    {
        // The sample's first 2,000 ratings and the movies they rate: the same demo with little for the language model to embed.
        var ratings = File.ReadLines(Path.Combine(SampleData.Folder, "ratings.csv")).Take(2_001).ToList();
        var rated = ratings.Skip(1).Select(line => line.Split(',')[1]).ToHashSet();
        File.WriteAllLines(Path.Combine(_folder.FullName, "ratings.csv"), ratings);
        File.WriteAllLines(Path.Combine(_folder.FullName, "movies.csv"),
            File.ReadLines(Path.Combine(SampleData.Folder, "movies.csv")).Where((line, i) => i == 0 || rated.Contains(line.Split(',')[0])));

        using var demo = RecoProcess.Start(null, "demo", "--data", _folder.FullName, "--stay");
        await demo.WaitForLineAsync("the node keeps running", TimeSpan.FromSeconds(180));
        Assert.False(demo.HasExited, demo.Output);

        demo.Terminate();
        int code;
        try
        {
            code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"the demo was still running 30 s after SIGTERM:\n{demo.Output}");
        }
        Assert.True(code == 0, demo.Output);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
