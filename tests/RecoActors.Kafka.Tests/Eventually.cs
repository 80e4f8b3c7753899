namespace RecoActors.Kafka.Tests;

/// <summary>Awaits a condition with a deadline: synchronisation for tests, never a fixed sleep.</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {within.TotalSeconds:0.#} s: {what}");
            await Task.Delay(20);
        }
    }
}
