namespace RecoActors.Runtime;

/// <summary>How a node's partitions batch, pace and bound their work. Bound from <c>Reco:Shards</c>.</summary>
public sealed record RuntimeOptions
{
    /// <summary>A partition makes its users durable once this many of them changed since its last commit…</summary>
    public int CommitEvery { get; init; } = 10_000;

    /// <summary>…or this often: about the most a crash makes a new owner redo.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most users the node keeps resident (least recently used passivated beyond it).</summary>
    public int MaxResidentUsers { get; init; } = 100_000;

    /// <summary>Records of one partition on their way to its users, not yet applied; beyond it the partition's reading pauses.</summary>
    public int MaxInFlight { get; init; } = 8_192;

    /// <summary>A user entity that heard nothing this long makes its state durable and stops.</summary>
    public TimeSpan PassivateAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a commit waits for its users' answers before it asks again (a user with a long queue, or a lost message).</summary>
    public TimeSpan CommitTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a partition being handed off waits for its users' last state before it persists what it has.</summary>
    public TimeSpan HandOffTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often each node asks for every partition to be running (as ShardedDaemonProcess's keep-alive does).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often contributed model statistics are folded into the model (or published to the other nodes).</summary>
    public TimeSpan FoldInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How often the cluster's oldest node persists the model (with its place in the partials topic), when it changed:
    /// a node that starts reads the topic on from there, so the topic's retention must be longer than this (librdkafka's
    /// mock broker keeps only 5 MB of a partition: seconds to a minute of partials).
    /// </summary>
    public TimeSpan ModelSnapshotInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these options, each naming its field under <paramref name="section"/>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section = "Reco:Shards")
    {
        var errors = new List<string>();
        Positive(CommitEvery, nameof(CommitEvery));
        Positive(MaxResidentUsers, nameof(MaxResidentUsers));
        if (MaxInFlight < 16) errors.Add($"{section}:MaxInFlight must be at least 16 (it was {MaxInFlight})");
        Positive(CommitInterval, nameof(CommitInterval));
        Positive(PassivateAfter, nameof(PassivateAfter));
        Positive(CommitTimeout, nameof(CommitTimeout));
        Positive(HandOffTimeout, nameof(HandOffTimeout));
        Positive(KeepAliveInterval, nameof(KeepAliveInterval));
        Positive(FoldInterval, nameof(FoldInterval));
        Positive(ModelSnapshotInterval, nameof(ModelSnapshotInterval));
        return errors;

        void Positive<T>(T value, string name) where T : IComparable<T>
        {
            if (value.CompareTo(default!) <= 0) errors.Add($"{section}:{name} must be positive (it was {value})");
        }
    }
}
