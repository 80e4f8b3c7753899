namespace RecoActors.Protocol;

/// <summary>How a node joins the Akka cluster. Bound from <c>Reco:Cluster</c>.</summary>
public sealed record ClusterOptions
{
    /// <summary>The actor system's name; every node of one cluster has the same.</summary>
    public string SystemName { get; init; } = "reco";

    /// <summary>The address remoting binds to.</summary>
    public string Hostname { get; init; } = "0.0.0.0";

    /// <summary>The address other nodes reach this one at (a pod's DNS name); defaults to <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; init; }

    /// <summary>Remoting port; 0 picks a free one (a lone node, tests).</summary>
    public int Port { get; init; } = 4053;

    /// <summary>Seed nodes as <c>host:port</c>; empty: this node forms a cluster of its own.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>
    /// How long a partition of the cluster must be stable before the split-brain resolver downs the minority; a crashed
    /// node's shards move about twice this after it is found unreachable. Raise it where pauses (GC, CPU throttling)
    /// can outlast it.
    /// </summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a starting node may take to become an Up member before its start fails.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Every problem with these options, each naming its field under <paramref name="section"/>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section = "Reco:Cluster")
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(SystemName) || !SystemName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            errors.Add($"{section}:SystemName '{SystemName}' must be letters, digits, '-' or '_'");
        if (string.IsNullOrWhiteSpace(Hostname)) errors.Add($"{section}:Hostname is required");
        if (Port is < 0 or > 65_535) errors.Add($"{section}:Port must be from 0 to 65535 (it was {Port})");
        foreach (var seed in SeedNodes)
            if (seed.Split(':') is not [{ Length: > 0 }, var port] || !int.TryParse(port, out var p) || p is < 1 or > 65_535)
                errors.Add($"{section}:SeedNodes '{seed}' must be host:port");
        if (StableAfter < TimeSpan.FromSeconds(1)) errors.Add($"{section}:StableAfter must be at least 1 s (it was {StableAfter})");
        if (JoinTimeout <= TimeSpan.Zero) errors.Add($"{section}:JoinTimeout must be positive (it was {JoinTimeout})");
        return errors;
    }
}
