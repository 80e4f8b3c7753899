using RecoActors.Core;
using RecoActors.Protocol;

namespace RecoActors.Runtime.Tests;

/// <summary>The single-stream reference every runtime test compares against: each profile bit for bit, each count exact.</summary>
internal static class Reference
{
    /// <summary>Asserts that every user of <paramref name="events"/>, read through <paramref name="read"/>, holds exactly its events, bit-identical to the reference.</summary>
    public static async Task AssertProfilesAsync(IReadOnlyList<BehaviourEvent> events, ModelOptions model, Func<string, Task<UserRead>> read, ITextEmbedder? text = null)
    {
        var reference = new Recommender(model, text: text);
        foreach (var ev in events) reference.Apply(ev);
        var counts = events.GroupBy(e => e.UserId).ToDictionary(g => g.Key, g => g.Count());
        var catalog = new ItemCatalog();
        foreach (var (user, expected) in reference.Profiles)
        {
            var state = (await read(user)).Profile;
            Assert.NotNull(state);
            var profile = state.ToProfile(catalog.GetOrAdd, model);
            Assert.Equal(counts[user], profile.EventsApplied);
            Assert.Equal(expected.Vector.Select(BitConverter.SingleToInt32Bits), profile.Vector.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
