using RecoActors.Evaluation;

namespace RecoActors.Node.Tests;

/// <summary>The MovieLens sample bundled in the repository's data folder.</summary>
internal static class SampleData
{
    public static string Folder { get; } = Find();

    /// <summary>The sample's ratings.csv.</summary>
    public static string Ratings => Path.Combine(Folder, "ratings.csv");

    /// <summary>How many events each user has in the sample's ratings.</summary>
    public static Dictionary<string, int> EventsPerUser()
    {
        using var reader = new StreamReader(Ratings);
        return RatingsFile.Read(reader).Ratings.GroupBy(r => r.UserId).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Produces <paramref name="count"/> of the sample's ratings (file order, after the first <paramref name="skip"/>) to the events topic and returns them.</summary>
    public static List<Rating> Produce(Kafka.KafkaOptions kafka, int count, int skip = 0)
    {
        List<Rating> ratings;
        using (var reader = new StreamReader(Ratings))
            ratings = [.. RatingsFile.Read(reader).Ratings.Skip(skip).Take(count)];
        using var producer = Kafka.EventProducer.Create(kafka);
        foreach (var r in ratings) producer.Produce(r.ToEvent());
        producer.Flush(TimeSpan.FromSeconds(60));
        return ratings;
    }

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
