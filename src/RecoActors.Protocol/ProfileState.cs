using System.Buffers;
using System.Runtime.Serialization;
using MessagePack;
using RecoActors.Core;

namespace RecoActors.Protocol;

/// <summary>
/// A <see cref="Profile"/> as it travels and is stored: items by id (indexes differ between nodes), floats as their
/// bits, so a restored profile continues bit for bit.
/// </summary>
/// <param name="Version">The layout version; <see cref="CurrentVersion"/> when written by this build.</param>
/// <param name="Vector">The profile vector.</param>
/// <param name="SeenCapacity">Capacity of the seen set.</param>
/// <param name="Seen">Seen items, oldest first.</param>
/// <param name="RecentCapacity">Capacity of the recent positives.</param>
/// <param name="Recent">Recent positive items, oldest first.</param>
/// <param name="LastTimestamp">Event time of the newest event applied (epoch ms).</param>
/// <param name="EventsApplied">Events applied.</param>
[MessagePackObject]
public sealed record ProfileState(
    [property: Key(0)] int Version,
    [property: Key(1)] float[] Vector,
    [property: Key(2)] int SeenCapacity,
    [property: Key(3)] string[] Seen,
    [property: Key(4)] int RecentCapacity,
    [property: Key(5)] string[] Recent,
    [property: Key(6)] long LastTimestamp,
    [property: Key(7)] long EventsApplied)
{
    /// <summary>The layout this build writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The state of <paramref name="profile"/>, naming items through <paramref name="itemId"/>.</summary>
    public static ProfileState Of(Profile profile, Func<int, string> itemId)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(itemId);
        return new ProfileState(CurrentVersion, (float[])profile.Vector.Clone(), profile.Seen.Capacity, [.. profile.Seen.Items().Select(itemId)],
            profile.RecentPositives.Capacity, [.. profile.RecentPositives.Oldest().Select(itemId)], profile.LastTimestamp, profile.EventsApplied);
    }

    /// <summary>
    /// The MessagePack bytes of <see cref="Of"/>'s state, written straight from the profile: what every changed user
    /// hands its partition at every commit, so without a copy of its vector and arrays of its item ids on the way.
    /// </summary>
    public static byte[] Serialize(Profile profile, Func<int, string> itemId)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(itemId);
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(buffer);
        // The layout the generated formatter writes for this record: an array of its keys' values, in key order.
        writer.WriteArrayHeader(8);
        writer.Write(CurrentVersion);
        writer.WriteArrayHeader(profile.Vector.Length);
        foreach (var x in profile.Vector) writer.Write(x);
        writer.Write(profile.Seen.Capacity);
        writer.WriteArrayHeader(profile.Seen.Count);
        foreach (var item in profile.Seen.Items()) writer.Write(itemId(item));
        var recent = profile.RecentPositives;
        writer.Write(recent.Capacity);
        writer.WriteArrayHeader(recent.Count);
        for (var i = recent.Count - 1; i >= 0; i--) writer.Write(itemId(recent.Newest(i)));
        writer.Write(profile.LastTimestamp);
        writer.Write(profile.EventsApplied);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>The profile again, with items indexed by <paramref name="itemIndex"/>.</summary>
    /// <exception cref="SerializationException">A layout this build does not read, or a vector of another dimension than the model's.</exception>
    public Profile ToProfile(Func<string, int> itemIndex, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(itemIndex);
        ArgumentNullException.ThrowIfNull(options);
        if (Version != CurrentVersion)
            throw new SerializationException($"profile state version {Version} is not one this build reads ({CurrentVersion})");
        if (Vector is null || Vector.Length != options.Dimension)
            throw new SerializationException($"profile state has dimension {Vector?.Length ?? 0}; the model has {options.Dimension}");
        if (SeenCapacity <= 0 || RecentCapacity <= 0 || Seen is null || Recent is null)
            throw new SerializationException("profile state has no seen or recent items section");
        return Profile.Restore(Vector, SeenCapacity, Seen.Select(itemIndex), RecentCapacity, Recent.Select(itemIndex), LastTimestamp, EventsApplied);
    }
}
