using System.Globalization;
using System.Text.Json;

namespace RecoActors.Core;

/// <summary>
/// Reads item vectors produced outside (a language or two-tower model run offline): CSV lines
/// <c>itemId,f1,…,fd</c> (an optional header starting <c>itemId</c>) or JSON lines <c>{"itemId":"…","vector":[…]}</c>.
/// </summary>
public static class EmbeddingReader
{
    /// <summary>Reads every vector; throws <see cref="FormatException"/> naming the source and line of the first bad one.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">The file name, for messages.</param>
    /// <param name="dimension">The dimension every vector must have.</param>
    public static Dictionary<string, float[]> Read(TextReader reader, string source, int dimension)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        string? line;
        var number = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || (number == 1 && text.StartsWith("itemId", StringComparison.OrdinalIgnoreCase))) continue;
            var (id, vector) = text[0] == '{' ? ParseJson(text, Fail) : ParseCsv(text, Fail);
            if (vector.Length != dimension) throw Fail($"vector has {vector.Length} dimensions; expected {dimension}");
            for (var i = 0; i < vector.Length; i++)
                if (!float.IsFinite(vector[i])) throw Fail($"component {i + 1} is not a finite number");
            if (!vectors.TryAdd(id, vector)) throw Fail($"item '{id}' appears twice");
        }
        return vectors;

        FormatException Fail(string why) => new($"{source}:{number}: {why}");
    }

    private static (string, float[]) ParseCsv(string line, Func<string, FormatException> fail)
    {
        var fields = line.Split(',');
        if (fields[0].Trim().Length == 0) throw fail("empty item id");
        var vector = new float[fields.Length - 1];
        for (var i = 1; i < fields.Length; i++)
            if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out vector[i - 1]))
                throw fail($"component {i} '{fields[i].Trim()}' is not a number");
        return (fields[0].Trim(), vector);
    }

    private static (string, float[]) ParseJson(string line, Func<string, FormatException> fail)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("itemId", out var id) || id.ValueKind != JsonValueKind.String || id.GetString()!.Length == 0)
                throw fail("itemId is missing or not a non-empty string");
            if (!root.TryGetProperty("vector", out var v) || v.ValueKind != JsonValueKind.Array)
                throw fail("vector is missing or not an array");
            var vector = new float[v.GetArrayLength()];
            var i = 0;
            foreach (var x in v.EnumerateArray())
            {
                if (x.ValueKind != JsonValueKind.Number) throw fail($"component {i + 1} is not a number");
                vector[i++] = (float)x.GetDouble();
            }
            return (id.GetString()!, vector);
        }
        catch (JsonException ex)
        {
            throw fail($"not valid JSON: {ex.Message}");
        }
    }
}
