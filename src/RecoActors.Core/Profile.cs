namespace RecoActors.Core;

/// <summary>A user's rolling state: an event-time decayed sum of item vectors, recent items and a counter.</summary>
/// <remarks><c>p ← 2^(−Δt/halfLife)·p + w·e(item)</c>, kept raw; callers normalise when they need a direction.</remarks>
public sealed class Profile
{
    /// <summary>Creates an empty profile.</summary>
    public Profile(int dimension, int seenCapacity, int recentPositives = 20)
    {
        Vector = new float[dimension];
        Seen = new SeenItems(seenCapacity);
        RecentPositives = new RecentItems(recentPositives);
    }

    /// <summary>An empty profile sized by the model's options.</summary>
    public static Profile For(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Profile(options.Dimension, options.SeenCapacity, options.RecentPositives);
    }

    /// <summary>Rebuilds a profile from saved state (see the store's snapshot codec); it behaves exactly as the one saved.</summary>
    /// <param name="vector">The profile vector.</param>
    /// <param name="seenCapacity">Capacity of the seen set.</param>
    /// <param name="seen">Seen items, oldest first.</param>
    /// <param name="recentCapacity">Capacity of the recent positives.</param>
    /// <param name="recent">Recent positive items, oldest first.</param>
    /// <param name="lastTimestamp">Event time of the newest event applied.</param>
    /// <param name="eventsApplied">Number of events applied.</param>
    public static Profile Restore(ReadOnlySpan<float> vector, int seenCapacity, IEnumerable<int> seen, int recentCapacity,
        IEnumerable<int> recent, long lastTimestamp, long eventsApplied)
    {
        var profile = new Profile(vector.Length, seenCapacity, recentCapacity);
        vector.CopyTo(profile.Vector);
        foreach (var item in seen) profile.Seen.Add(item);
        foreach (var item in recent) profile.RecentPositives.Push(item);
        profile.LastTimestamp = lastTimestamp;
        profile.EventsApplied = eventsApplied;
        return profile;
    }

    /// <summary>A deep copy (a reader on another thread gets this, never the live profile).</summary>
    /// <remarks>Every recommendation asked takes one: the parts are copied whole rather than rebuilt item by item.</remarks>
    public Profile Clone() => new(this);

    private Profile(Profile source)
    {
        Vector = (float[])source.Vector.Clone();
        Seen = source.Seen.Clone();
        RecentPositives = source.RecentPositives.Clone();
        LastTimestamp = source.LastTimestamp;
        EventsApplied = source.EventsApplied;
    }

    /// <summary>The user's latest positive items: they pair with new ones in co-visitation and anchor its term in ranking.</summary>
    public RecentItems RecentPositives { get; }

    /// <summary>The decayed sum; its direction is the user's taste.</summary>
    public float[] Vector { get; }

    /// <summary>Recently seen items, never recommended back.</summary>
    public SeenItems Seen { get; }

    /// <summary>Event time of the newest event applied (epoch ms), or <see cref="long.MinValue"/> before any.</summary>
    public long LastTimestamp { get; private set; } = long.MinValue;

    /// <summary>Number of events applied.</summary>
    public long EventsApplied { get; private set; }

    /// <summary>Whether the profile points anywhere (a user with only neutral events has no direction).</summary>
    public bool HasDirection => Vectors.Norm(Vector) >= Vectors.Epsilon;

    /// <summary>Applies one event: decay to its time, add the weighted item vector, remember the item.</summary>
    /// <param name="item">The item's index.</param>
    /// <param name="itemVector">The item's unit query vector.</param>
    /// <param name="weight">The event's signed weight.</param>
    /// <param name="timestamp">Event time, epoch ms.</param>
    /// <param name="halfLifeMs">The profile's half-life.</param>
    public void Apply(int item, ReadOnlySpan<float> itemVector, float weight, long timestamp, long halfLifeMs)
    {
        if (EventsApplied > 0 && timestamp > LastTimestamp)
            Vectors.Scale(Vector, (float)Decay.Factor(timestamp - LastTimestamp, halfLifeMs));
        if (weight != 0f && !itemVector.IsEmpty) Vectors.AddScaled(Vector, itemVector, weight);
        if (timestamp > LastTimestamp) LastTimestamp = timestamp;
        Seen.Add(item);
        EventsApplied++;
    }
}
