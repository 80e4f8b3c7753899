using RecoActors.Core;
using RecoActors.Kafka;

namespace RecoActors.Runtime;

/// <summary>What the node's <see cref="ModelActor"/> is told. Local only: partials cross nodes through the partials topic.</summary>
public abstract record ModelCommand
{
    private ModelCommand() { }

    /// <summary>
    /// A partial from the exchange (any node's, this one's included): folded at once, in the exchange's order; the model
    /// then stands at <paramref name="Position"/> in the exchange (null: not known, a test's partial).
    /// </summary>
    public sealed record Exchanged(ModelPartial Partial, ExchangePosition? Position = null) : ModelCommand;

    /// <summary>Fold what has been contributed and answer with the resulting <see cref="ModelSnapshot"/>.</summary>
    public sealed record FoldNow : ModelCommand
    {
        /// <summary>The one request.</summary>
        public static FoldNow Instance { get; } = new();
    }

    /// <summary>Timer: persist the model if this node is the oldest and the model changed since it was last saved.</summary>
    internal sealed record Snapshot : ModelCommand
    {
        /// <summary>The one tick.</summary>
        public static Snapshot Instance { get; } = new();
    }

    /// <summary>Timer: fold what has been contributed.</summary>
    internal sealed record Fold : ModelCommand
    {
        /// <summary>The one tick.</summary>
        public static Fold Instance { get; } = new();
    }
}
