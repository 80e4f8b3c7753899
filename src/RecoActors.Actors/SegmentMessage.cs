using RecoActors.Core;

namespace RecoActors.Actors;

/// <summary>What the <see cref="SegmentActor"/> is told.</summary>
public abstract record SegmentMessage
{
    private SegmentMessage() { }

    /// <summary>A shard's model statistics since its last contribution.</summary>
    public sealed record Contribute(ModelPartial Partial) : SegmentMessage;

    /// <summary>A partial from the exchange (any node's, this one's included): folded at once, in the exchange's order.</summary>
    public sealed record Exchanged(ModelPartial Partial) : SegmentMessage;

    /// <summary>Fold what has been contributed and answer with the snapshot that results.</summary>
    public sealed record FoldNow(Reply<ModelSnapshot> Reply) : SegmentMessage;

    /// <summary>Timer: fold what has been contributed.</summary>
    public sealed record Fold : SegmentMessage
    {
        /// <summary>The one fold tick.</summary>
        public static Fold Instance { get; } = new();
    }
}
