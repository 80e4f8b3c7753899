using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>A node of a parsed YAML document (maps, lists and string scalars); a missing key reads as a missing node.</summary>
internal sealed class Yaml(object? value)
{
    public object? Value => value;

    public bool Exists => value is not null;

    public Yaml this[string key] => new(value is IDictionary<object, object> map && map.TryGetValue(key, out var v) ? v : null);

    /// <summary>Follows dot-separated keys (keys with dots of their own need the indexer).</summary>
    public Yaml At(string path) => path.Split('.').Aggregate(this, (node, key) => node[key]);

    public IEnumerable<Yaml> Items => value is IList<object> list ? list.Select(i => new Yaml(i)) : [];

    public IEnumerable<(string Key, Yaml Value)> Entries =>
        value is IDictionary<object, object> map ? map.Select(e => ((string)e.Key, new Yaml(e.Value))) : [];

    public string? String => value as string;

    public int Int => int.Parse(String ?? throw new InvalidOperationException("not a scalar"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>As JSON, the way the API server stores it: scalars that read as integers or booleans become those.</summary>
    public JsonNode? ToJson() => value switch
    {
        IDictionary<object, object> map => new JsonObject(map.Select(e => KeyValuePair.Create((string)e.Key, new Yaml(e.Value).ToJson()))),
        IList<object> list => new JsonArray([.. list.Select(i => new Yaml(i).ToJson())]),
        string s when long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
        "true" or "false" => JsonValue.Create(value is "true"),
        string s => JsonValue.Create(s),
        _ => null,
    };

    public override string ToString() => String ?? value?.ToString() ?? "(missing)";

    /// <summary>Every document of a file, with merge keys (<c>&lt;&lt;: *anchor</c>) applied.</summary>
    public static IReadOnlyList<Yaml> Load(string path)
    {
        using var reader = File.OpenText(path);
        var parser = new MergingParser(new Parser(reader));
        var deserializer = new DeserializerBuilder().Build();
        var documents = new List<Yaml>();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _)) documents.Add(new Yaml(deserializer.Deserialize<object>(parser)));
        return documents;
    }
}
