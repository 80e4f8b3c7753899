using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>Reads item text: MovieLens <c>movies.csv</c> (+ <c>tags.csv</c>) or <c>u.item</c> (pipe-separated, genre flags).</summary>
public static class ItemTextFile
{
    private static readonly string[] UItemGenres =
    [
        "unknown", "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    /// <summary>Reads an items file (<c>u.item</c> is Latin-1, <c>movies.csv</c> UTF-8) and, if given, a tags file.</summary>
    public static (List<ItemText> Items, int Malformed) Read(string itemsPath, string? tagsPath = null)
    {
        ArgumentNullException.ThrowIfNull(itemsPath);
        using var items = new StreamReader(itemsPath, Path.GetFileName(itemsPath) == "u.item" ? System.Text.Encoding.Latin1 : System.Text.Encoding.UTF8);
        using var tags = tagsPath is null ? null : new StreamReader(tagsPath);
        return Read(items, tags);
    }

    /// <summary>Reads items, and tags if a tags reader is given; rows that cannot be read are skipped and counted.</summary>
    public static (List<ItemText> Items, int Malformed) Read(TextReader items, TextReader? tags = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        var tagsByItem = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var malformed = 0;
        if (tags is not null)
        {
            tags.ReadLine();
            string? t;
            while ((t = tags.ReadLine()) is not null)
            {
                var f = Csv.Split(t);
                if (f.Count < 3) { malformed++; continue; }
                if (!tagsByItem.TryGetValue(f[1], out var list)) tagsByItem[f[1]] = list = [];
                list.Add(f[2]);
            }
        }
        var result = new List<ItemText>();
        var first = items.ReadLine();
        if (first is null) return (result, malformed);
        var isCsv = first.StartsWith("movieId,", StringComparison.OrdinalIgnoreCase);
        if (!isCsv) Add(first);
        string? line;
        while ((line = items.ReadLine()) is not null) Add(line);
        return (result, malformed);

        void Add(string text)
        {
            if (text.Length == 0) return;
            if (isCsv)
            {
                var f = Csv.Split(text);
                if (f.Count < 3) { malformed++; return; }
                result.Add(new ItemText(f[0], f[1], f[2] == "(no genres listed)" ? [] : f[2].Split('|'), tagsByItem.GetValueOrDefault(f[0]) ?? []));
            }
            else
            {
                var f = text.Split('|');
                if (f.Length < 5 + UItemGenres.Length) { malformed++; return; }
                var genres = UItemGenres.Where((_, g) => f[5 + g] == "1").ToList();
                result.Add(new ItemText(f[0], f[1], genres, tagsByItem.GetValueOrDefault(f[0]) ?? []));
            }
        }
    }
}
