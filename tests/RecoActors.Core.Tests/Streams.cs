using FsCheck;
using FsCheck.Fluent;

namespace RecoActors.Core.Tests;

/// <summary>Deterministic synthetic event streams: users in taste groups that prefer their group's items.</summary>
internal static class Streams
{
    public const long T0 = 1_500_000_000_000;

    public static List<BehaviourEvent> Grouped(int events, int users = 60, int items = 120, int groups = 3, int seed = 7)
    {
        var rng = new Random(seed);
        var list = new List<BehaviourEvent>(events);
        var t = T0;
        for (var e = 0; e < events; e++)
        {
            var u = rng.Next(users);
            var g = u % groups;
            var item = rng.NextDouble() < 0.8 ? g + groups * rng.Next(items / groups) : rng.Next(items);
            var type = (EventType)rng.Next(7);
            float? value = type == EventType.Rating ? rng.Next(1, 11) / 2f : null;
            t += rng.Next(0, 3_600_000);
            list.Add(new BehaviourEvent($"u{u}", $"i{item}", type, value, t));
        }
        return list;
    }

    /// <summary>FsCheck: small random streams, any event type, non-decreasing time.</summary>
    public static Arbitrary<BehaviourEvent[]> Arbitrary() =>
        Gen.Choose(1, 200).SelectMany(n => Gen.ArrayOf(
                Gen.Choose(0, 7).SelectMany(u => Gen.Choose(0, 30).SelectMany(i => Gen.Choose(0, 6).SelectMany(ty =>
                    Gen.Choose(1, 10).SelectMany(r => Gen.Choose(0, 50_000_000).Select(dt => (u, i, ty, r, dt)))))), n))
            .Select(rows =>
            {
                var t = T0;
                return rows.Select(x =>
                {
                    t += x.dt;
                    var type = (EventType)x.ty;
                    return new BehaviourEvent($"u{x.u}", $"i{x.i}", type, type == EventType.Rating ? x.r / 2f : null, t);
                }).ToArray();
            })
            .ToArbitrary();
}
