namespace RecoActors.Runtime;

/// <summary>What one partition actor on this node reports about itself, for readiness, lag and metrics.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Checkpoint">The next offset to read after a restart: everything below it is durable.</param>
/// <param name="Position">The next offset to send to users.</param>
/// <param name="Running">Recovered and reading (false while recovering or stopping).</param>
public sealed record PartitionProgress(int Partition, long Checkpoint, long Position, bool Running);
