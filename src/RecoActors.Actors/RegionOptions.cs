namespace RecoActors.Actors;

/// <summary>How a node's shards batch, pace and bound their work.</summary>
public sealed record RegionOptions
{
    /// <summary>This node's id in the ownership table.</summary>
    public required string NodeId { get; init; }

    /// <summary>Where other nodes reach this one (its HTTP base address), written to the ownership table.</summary>
    public string Endpoint { get; init; } = "";

    /// <summary>The events topic.</summary>
    public string Topic { get; init; } = "reco.events";

    /// <summary>A shard commits after this many records…</summary>
    public int CommitEvery { get; init; } = 10_000;

    /// <summary>…or once its oldest uncommitted change is this old: the most work a crash makes a new owner redo.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A shard hands its model partial to the segment actor after this many events…</summary>
    public int ContributeEvery { get; init; } = 5_000;

    /// <summary>…or on its tick, this often while it has work pending.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The most users the node keeps in memory (LRU passivation beyond it).</summary>
    public int MaxResidentUsers { get; init; } = 100_000;

    /// <summary>Records a shard's mailbox holds; when full, the consumer pauses the partition.</summary>
    public int MailboxCapacity { get; init; } = 4_096;

    /// <summary>A shard that received nothing this long commits and passivates all its users.</summary>
    public TimeSpan PassivateAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a revoked shard may take to flush before it is let go unflushed (its checkpoint stays).</summary>
    public TimeSpan RevokeTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest pause between retries of a store step during an outage.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Every problem with these options, each naming its field under <paramref name="section"/>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section = "Reco:Shards")
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(NodeId)) errors.Add($"{section}:NodeId is required");
        if (string.IsNullOrWhiteSpace(Topic)) errors.Add($"{section}:Topic is required");
        Positive(CommitEvery, nameof(CommitEvery));
        Positive(ContributeEvery, nameof(ContributeEvery));
        Positive(MaxResidentUsers, nameof(MaxResidentUsers));
        if (MailboxCapacity < 2) errors.Add($"{section}:MailboxCapacity must be at least 2 (it was {MailboxCapacity})");
        Positive(CommitInterval, nameof(CommitInterval));
        Positive(TickInterval, nameof(TickInterval));
        Positive(PassivateAfter, nameof(PassivateAfter));
        Positive(RevokeTimeout, nameof(RevokeTimeout));
        Positive(MaxRetryDelay, nameof(MaxRetryDelay));
        return errors;

        void Positive<T>(T value, string name) where T : IComparable<T>
        {
            if (value.CompareTo(default!) <= 0) errors.Add($"{section}:{name} must be positive (it was {value})");
        }
    }
}
