using BenchmarkDotNet.Configs;
using RecoActors.Benchmarks;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// One short job per benchmark keeps a full run to minutes on a 2-core machine; ratios are against the baseline
// measured in the same run. After the tables, each benchmark's mean is restated as operations per second per core.
if (args is ["pipeline"])
{
    await PipelineBenchmark.RunAsync();
    return;
}
if (args is ["fold"])
{
    FoldBenchmark.Run();
    return;
}
if (args is ["memory"])
{
    var (resident, stored) = await AkkaPipeline.BytesPerUserAsync(new RecoActors.Core.ModelOptions());
    Console.WriteLine($"bytes per resident user: {resident:N0}; stored state {stored:N0}");
    return;
}
if (args is ["failover"])
{
    await FailoverBenchmark.RunAsync();
    return;
}

// Tiered compilation off, as the node runs (RecoActors.Node.csproj): with tiering and its profile-guided code the same
// Core code can rank in another order of speed, and a change measured so could look faster or slower than it runs.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1)
        .WithEnvironmentVariables(new EnvironmentVariable("DOTNET_TieredCompilation", "0")))
    .WithOptions(ConfigOptions.JoinSummary);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
Console.WriteLine();
Console.WriteLine("Throughput per core (single-threaded benchmark):");
foreach (var report in summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null))
    Console.WriteLine($"  {report.BenchmarkCase.Descriptor.DisplayInfo,-60} {1e9 / report.ResultStatistics!.Mean,14:N0} ops/s");
