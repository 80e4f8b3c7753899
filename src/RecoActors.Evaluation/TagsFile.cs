using System.Globalization;
using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>
/// Reads MovieLens <c>tags.csv</c> (header <c>userId,movieId,tag,timestamp</c>, timestamps in seconds) as the tag
/// events users wrote, each carrying its text.
/// </summary>
public static class TagsFile
{
    /// <summary>Whether a file's first line is the header of a tags file.</summary>
    public static bool IsHeader(string? line) => line?.StartsWith("userId,movieId,tag,", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Reads the tag events, in file order; rows that cannot be read are skipped and counted, never silently.</summary>
    public static (List<BehaviourEvent> Events, int Malformed, List<string> MalformedExamples) Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var events = new List<BehaviourEvent>();
        var examples = new List<string>();
        var malformed = 0;
        if (!IsHeader(reader.ReadLine())) return (events, 0, examples);
        string? line;
        for (var number = 2; (line = reader.ReadLine()) is not null; number++)
        {
            if (line.Length == 0) continue;
            var f = Csv.Split(line);
            string? reason = null;
            long seconds = 0;
            if (f.Count < 4) reason = $"expected 4 fields, found {f.Count}";
            else if (f[0].Trim().Length == 0 || f[1].Trim().Length == 0 || f[2].Trim().Length == 0) reason = "empty user, item or tag";
            else if (!long.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out seconds) || seconds < 0 || seconds > 4_102_444_800)
                reason = $"timestamp '{f[3]}' is not epoch seconds";
            if (reason is null)
            {
                events.Add(new BehaviourEvent(f[0].Trim(), f[1].Trim(), EventType.Tag, null, seconds * 1000) { Text = f[2].Trim() });
                continue;
            }
            malformed++;
            if (examples.Count < 10) examples.Add($"line {number}: {reason}");
        }
        return (events, malformed, examples);
    }
}
