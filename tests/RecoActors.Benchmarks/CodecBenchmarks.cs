using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using RecoActors.Core;
using RecoActors.Kafka;

namespace RecoActors.Benchmarks;

/// <summary>Decoding a typical event: our validating reader against the source-generated serializer (baseline).</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    /// <summary>A typical event, 120 bytes.</summary>
    public static readonly byte[] Typical =
        Encoding.UTF8.GetBytes("""{"userId":"user-0012345678","itemId":"catalog/movies/0000098765","type":"rating","value":4.5,"ts":1700000000123,"v":1}""");

    [Benchmark(Baseline = true, Description = "System.Text.Json source-gen (no validation)")]
    public WireEvent? SourceGenerated() => JsonSerializer.Deserialize(Typical, WireJson.Default.WireEvent);

    [Benchmark(Description = "EventCodec.TryDecode (validating)")]
    public BehaviourEvent? Decode() => EventCodec.TryDecode(Typical, EventRules.Default, out var ev, out _) ? ev : null;

    [Benchmark(Description = "EventCodec.Encode")]
    public byte[] Encode() => EventCodec.Encode(Sample);

    private static readonly BehaviourEvent Sample = new("user-0012345678", "catalog/movies/0000098765", EventType.Rating, 4.5f, 1_700_000_000_123);
}

/// <summary>The wire shape as a plain DTO, for the baseline.</summary>
public sealed record WireEvent(string UserId, string ItemId, string Type, float? Value, long Ts);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WireEvent))]
public sealed partial class WireJson : JsonSerializerContext;
