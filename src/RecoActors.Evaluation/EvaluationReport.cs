using System.Text.Json.Serialization;

namespace RecoActors.Evaluation;

/// <summary>Quality of one model over a prequential replay.</summary>
/// <param name="HitRate">Share of evaluated events whose item was in the top 10.</param>
/// <param name="Ndcg">Mean 1/log2(rank+1) over evaluated events (0 for a miss).</param>
/// <param name="Coverage">Share of the log's items that were ever recommended.</param>
/// <param name="EventsPerSecond">Events per second of this model's own time (asking and learning).</param>
public sealed record ModelScore(
    [property: JsonPropertyName("hr@10")] double HitRate,
    [property: JsonPropertyName("ndcg@10")] double Ndcg,
    [property: JsonPropertyName("coverage")] double Coverage,
    [property: JsonPropertyName("events/s")] double EventsPerSecond);

/// <summary>The result of a prequential replay (DESIGN §4).</summary>
/// <param name="Dataset">What was replayed.</param>
/// <param name="Events">Events applied.</param>
/// <param name="Evaluated">Events on which every model was asked first.</param>
/// <param name="Malformed">Rows of the input skipped as unreadable.</param>
/// <param name="Models">Scores by model name: fusion, k1, pop, itemknn.</param>
/// <param name="Settings">The model settings used.</param>
public sealed record EvaluationReport(
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("events")] int Events,
    [property: JsonPropertyName("evaluated")] int Evaluated,
    [property: JsonPropertyName("malformed")] int Malformed,
    [property: JsonPropertyName("models")] IReadOnlyDictionary<string, ModelScore> Models,
    [property: JsonPropertyName("settings")] IReadOnlyDictionary<string, string> Settings);

/// <summary>Source-generated JSON for the report.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(EvaluationReport))]
public sealed partial class ReportJson : JsonSerializerContext;
