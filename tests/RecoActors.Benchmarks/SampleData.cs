namespace RecoActors.Benchmarks;

/// <summary>The bundled MovieLens sample, found from the benchmark's output folder up to the repository's root.</summary>
internal static class SampleData
{
    /// <summary>The folder of the sample that holds <paramref name="file"/>.</summary>
    public static string Folder(string file) =>
        Enumerable.Range(0, 8).Select(up => Path.Combine([AppContext.BaseDirectory, .. Enumerable.Repeat("..", up), "data", "movielens-small"]))
            .First(d => File.Exists(Path.Combine(d, file)));
}
