namespace RecoActors.Actors;

/// <summary>A shard on this node, its actor, and the switch that lets it go.</summary>
internal sealed class ShardHandle(Shard shard) : IDisposable
{
    private readonly CancellationTokenSource _gone = new();

    public Shard Shard { get; } = shard;

    public ActorRef<ShardMessage> Actor { get; set; } = null!;

    /// <summary>Cancelled when the shard no longer belongs here: its actor drops what is left and stops retrying.</summary>
    public CancellationToken Gone => _gone.Token;

    public bool IsGone => _gone.IsCancellationRequested;

    public void LetGo()
    {
        try
        {
            _gone.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already let go and disposed.
        }
    }

    public void Dispose() => _gone.Dispose();
}
