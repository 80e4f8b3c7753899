namespace RecoActors.Actors;

/// <summary>A shard on this node, its actor, and the switch that lets it go.</summary>
/// <remarks>The token source is never disposed: the actor may still read its token after the region has let it go.</remarks>
internal sealed class ShardHandle(Shard shard)
{
    private readonly CancellationTokenSource _gone = new();

    public Shard Shard { get; } = shard;

    public ActorRef<ShardMessage> Actor { get; set; } = null!;

    /// <summary>Cancelled when the shard no longer belongs here: its actor drops what is left and stops retrying.</summary>
    public CancellationToken Gone => _gone.Token;

    public bool IsGone => _gone.IsCancellationRequested;

    public void LetGo()
    {
        _gone.Cancel();
    }
}
