using BenchmarkDotNet.Attributes;
using RecoActors.Core;

namespace RecoActors.Benchmarks;

/// <summary>Synthetic model state shared by the model benchmarks: random unit item vectors, Zipf-like traffic.</summary>
internal static class Fixture
{
    public static Recommender Build(int items, int segments, int events, int users = 2_000)
    {
        var r = new Recommender(new ModelOptions { Dimension = 64, Segments = segments }, batchEvents: 5_000);
        var rng = new Random(42);
        var v = new float[64];
        for (var i = 0; i < items; i++)
        {
            for (var j = 0; j < v.Length; j++) v[j] = (float)(rng.NextDouble() * 2 - 1);
            r.SetItemVector($"item-{i}", v);
        }
        var t = 1_600_000_000_000;
        for (var e = 0; e < events; e++)
        {
            var item = (int)(items * Math.Pow(rng.NextDouble(), 3));
            r.Apply(new BehaviourEvent($"user-{rng.Next(users)}", $"item-{item}", EventType.Rating, rng.Next(1, 11) / 2f, t += 1_000));
        }
        r.Flush();
        return r;
    }
}

/// <summary>
/// The per-event hot path at d=64, K=32: decay and add to the profile, find the nearest segment, add the user's
/// contribution to the partial. Baseline: the profile update alone.
/// </summary>
[MemoryDiagnoser]
public class ProfileUpdateBenchmarks
{
    private const int Batch = 1_000;
    private Recommender _model = null!;
    private ModelSnapshot _snapshot = null!;
    private ModelPartial _partial = null!;
    private Profile[] _profiles = null!;
    private string[] _users = null!;
    private (int Item, EventType Type, float? Value)[] _events = null!;
    private readonly float[] _scratch = new float[128];
    private long _time = 1_700_000_000_000;

    [GlobalSetup]
    public void Setup()
    {
        _model = Fixture.Build(items: 10_000, segments: 32, events: 20_000);
        _snapshot = _model.Snapshot;
        _partial = _model.Model.NewPartial();
        _users = [.. Enumerable.Range(0, 1_000).Select(u => $"user-{u}")];
        _profiles = [.. _users.Select(_ => new Profile(64, 512))];
        var rng = new Random(7);
        _events = [.. Enumerable.Range(0, Batch).Select(_ => (rng.Next(10_000), EventType.Rating, (float?)(rng.Next(1, 11) / 2f)))];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Profile.Apply alone (decay + add)")]
    public void ProfileOnly()
    {
        for (var e = 0; e < Batch; e++)
        {
            var (item, type, value) = _events[e];
            _profiles[e % _profiles.Length].Apply(item, _snapshot.ItemVector(item), _snapshot.Options.Weights.Of(type, value), _time += 1_000, _snapshot.Options.ProfileHalfLifeMs);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "ProfileUpdater.Apply (profile + segment + partial), d=64 K=32")]
    public void FullUpdate()
    {
        // One batch's partial per invocation, as a stream's would be: it grows its tables once and keeps them.
        _partial.Reset(_snapshot.Epoch);
        for (var e = 0; e < Batch; e++)
        {
            var (item, type, value) = _events[e];
            var u = e % _profiles.Length;
            ProfileUpdater.Apply(_profiles[u], _users[u], item, type, value, _time += 1_000, _snapshot, _partial, _scratch);
        }
    }
}

/// <summary>One user's ranking over a catalog of 10,000 and 100,000 items (K=32, d=64).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class FusionBenchmarks
{
    private Recommender _model = null!;
    private Profile _profile = null!;

    [Params(10_000, 100_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = Fixture.Build(Items, segments: 32, events: 60_000);
        _profile = _model.Profiles.Values.OrderByDescending(p => p.EventsApplied).First();
    }

    [Benchmark(Baseline = true, Description = "popularity top-10 (cold start)")]
    public Recommendation ColdStart() => Fusion.Recommend(null, _model.Snapshot, 10);

    [Benchmark(Description = "Fusion.Recommend top-10 with explanations")]
    public Recommendation Recommend() => Fusion.Recommend(_profile, _model.Snapshot, 10);
}
