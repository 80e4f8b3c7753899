using System.Globalization;

namespace RecoActors.Evaluation;

/// <summary>The rows of a ratings log and the rows that could not be read.</summary>
/// <param name="Ratings">Good rows, in file order.</param>
/// <param name="Malformed">How many rows were skipped.</param>
/// <param name="MalformedExamples">Up to ten skipped rows as "line N: reason".</param>
public sealed record RatingsLog(IReadOnlyList<Rating> Ratings, int Malformed, IReadOnlyList<string> MalformedExamples);

/// <summary>
/// Reads MovieLens ratings: <c>ratings.csv</c> (header <c>userId,movieId,rating,timestamp</c>) or <c>u.data</c>
/// (tab-separated user, item, rating, timestamp), told apart by the first line. Timestamps are seconds.
/// </summary>
public static class RatingsFile
{
    /// <summary>Reads a ratings log; malformed rows are skipped and counted, never silently.</summary>
    public static RatingsLog Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var ratings = new List<Rating>();
        var examples = new List<string>();
        var malformed = 0;
        var first = reader.ReadLine();
        if (first is null) return new RatingsLog(ratings, 0, examples);
        var csv = first.StartsWith("userId,", StringComparison.OrdinalIgnoreCase);
        var separator = csv ? ',' : '\t';
        var lineNumber = 1;
        if (!csv) Parse(first, 1);
        string? line;
        while ((line = reader.ReadLine()) is not null) Parse(line, ++lineNumber);
        return new RatingsLog(ratings, malformed, examples);

        void Parse(string text, int number)
        {
            if (text.Length == 0) return;
            var reason = TryParse(text, separator, out var rating);
            if (reason is null)
            {
                ratings.Add(rating);
                return;
            }
            malformed++;
            if (examples.Count < 10) examples.Add($"line {number}: {reason}");
        }
    }

    private static string? TryParse(string line, char separator, out Rating rating)
    {
        rating = default;
        var f = line.Split(separator);
        if (f.Length < 4) return $"expected 4 fields, found {f.Length}";
        var user = f[0].Trim();
        var item = f[1].Trim();
        if (user.Length == 0 || item.Length == 0) return "empty user or item id";
        if (!float.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
            return $"rating '{f[2]}' is not a number";
        if (!long.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0 || seconds > 4_102_444_800)
            return $"timestamp '{f[3]}' is not epoch seconds";
        rating = new Rating(user, item, value, seconds * 1000);
        return null;
    }
}
