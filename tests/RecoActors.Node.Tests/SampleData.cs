namespace RecoActors.Node.Tests;

/// <summary>The MovieLens sample bundled in the repository's data folder.</summary>
internal static class SampleData
{
    public static string Folder { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "movielens-small");
            if (File.Exists(Path.Combine(candidate, "ratings.csv"))) return candidate;
        }
        throw new DirectoryNotFoundException("data/movielens-small not found above " + AppContext.BaseDirectory);
    }
}
