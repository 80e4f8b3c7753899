namespace RecoActors.Core;

/// <summary>Everything that shapes the model. One instance is shared by every node, so results agree.</summary>
public sealed record ModelOptions
{
    /// <summary>Embedding and profile dimension.</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>Number of segments (K).</summary>
    public int Segments { get; init; } = 4;

    /// <summary>Seed for segment seeding and user signatures; same seed, same model.</summary>
    public int Seed { get; init; } = 20261122;

    /// <summary>Half-life of a user's profile, in event-time ms.</summary>
    public long ProfileHalfLifeMs { get; init; } = 120L * 24 * 3600 * 1000;

    /// <summary>Half-life of segment centroids, segment item scores, popularity and collaborative vectors.</summary>
    public long ModelHalfLifeMs { get; init; } = 365L * 24 * 3600 * 1000;

    /// <summary>How many recently seen items a profile remembers (never recommended again).</summary>
    public int SeenCapacity { get; init; } = 512;

    /// <summary>Items kept per segment model (top-L).</summary>
    public int SegmentTopItems { get; init; } = 200;

    /// <summary>How many of a user's latest positive items pair with each new one in co-visitation counts.</summary>
    public int CoVisitWindow { get; init; } = 10;

    /// <summary>How many of a user's latest positive items anchor the co-visitation term when ranking.</summary>
    public int CoVisitAnchors { get; init; } = 10;

    /// <summary>How many latest positive items a profile keeps: enough for both the co-visitation window and its anchors.</summary>
    public int RecentPositives => Math.Max(CoVisitWindow, CoVisitAnchors);

    /// <summary>Neighbours kept per item in a snapshot (top by cosine over co-visitation).</summary>
    public int CoVisitNeighbors { get; init; } = 200;

    /// <summary>Neighbours kept per item in each segment's own co-visitation table (its users are a share of all, its rows shorter).</summary>
    public int SegmentCoVisitNeighbors { get; init; } = 50;

    /// <summary>Weight μ of the co-visitation term μ·V(item) (V scaled so the best candidate has 1).</summary>
    public float CoVisitWeight { get; init; } = 1f;

    /// <summary>Weight of the segments' own co-visitation term: Σ_k w_k·V_k(item), scaled so the best candidate has this.</summary>
    public float SegmentCoVisitWeight { get; init; } = 0.5f;

    /// <summary>
    /// How many positive events of a batch the fusion weights learn from at most: each stream's partial keeps its
    /// first this many, and a fold learns from the first this many of the merged batch (0: the weights stay as set).
    /// Each costs a ranking in the fold, so this bounds a fold's work and a partial's size whatever the event rate.
    /// </summary>
    public int FusionExamples { get; init; } = 16;

    /// <summary>Learning rate η of the fusion weights' exponentiated-gradient steps.</summary>
    public float FusionLearningRate { get; init; } = 0.03f;

    /// <summary>
    /// How much each older anchor counts in the co-visitation terms: the i-th newest of a user's latest positive items
    /// weighs ρ^i, so what the user took last says most about what comes next.
    /// </summary>
    public float AnchorDecay { get; init; } = 0.85f;

    /// <summary>
    /// How much a co-visitation counts backwards (the later item as a neighbour of the earlier one counts 1, the
    /// earlier as a neighbour of the later this much): users' histories have an order, and what follows an item is
    /// what to recommend after it.
    /// </summary>
    public float CoVisitBackward { get; init; } = 0.5f;

    /// <summary>Segments a user is softly assigned to when ranking.</summary>
    public int NearestSegments { get; init; } = 3;

    /// <summary>Sharpness β of soft membership w_k ∝ exp(−β‖p − c_k‖²).</summary>
    public float MembershipSharpness { get; init; } = 1f;

    /// <summary>Weight of the segment models' term Σ_k w_k·M_k(item) (0 removes it, as the ablation does).</summary>
    public float SegmentWeight { get; init; } = 1f;

    /// <summary>Weight λ of the personal term λ·cos(p, e(item)).</summary>
    public float PersonalWeight { get; init; } = 0.5f;

    /// <summary>Candidates taken from the items nearest the profile.</summary>
    public int NearestItems { get; init; } = 100;

    /// <summary>A segment lighter than this fraction of the heaviest is re-seeded by splitting the heaviest.</summary>
    public float DeadSegmentFraction { get; init; } = 0.02f;

    /// <summary>Share of the collaborative part in an item's vectors when it also has a content vector.</summary>
    public float CollaborativeShare { get; init; } = 0.5f;

    /// <summary>
    /// Pseudo-mass of global popularity mixed into each segment's item scores, as a fraction of the average
    /// segment's mass: M_k(i) ∝ s_k(i) + τ·pop(i). Small segments lean on the prior, large ones on their own counts.
    /// </summary>
    public float SegmentPrior { get; init; } = 1f;

    /// <summary>Where items' content vectors and the vectors of users' tags come from.</summary>
    public TextEmbedderKind TextEmbedder { get; init; } = TextEmbedderKind.MiniLm;

    /// <summary>Per-event-type weights.</summary>
    public EventWeights Weights { get; init; } = EventWeights.Default;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field out of range.</summary>
    public ModelOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Dimension, 2, nameof(Dimension));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Segments, nameof(Segments));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ProfileHalfLifeMs, nameof(ProfileHalfLifeMs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ModelHalfLifeMs, nameof(ModelHalfLifeMs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SeenCapacity, nameof(SeenCapacity));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SegmentTopItems, nameof(SegmentTopItems));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(NearestSegments, nameof(NearestSegments));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CoVisitWindow, nameof(CoVisitWindow));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CoVisitAnchors, nameof(CoVisitAnchors));
        ArgumentOutOfRangeException.ThrowIfNegative(CoVisitNeighbors, nameof(CoVisitNeighbors));
        ArgumentOutOfRangeException.ThrowIfNegative(SegmentCoVisitNeighbors, nameof(SegmentCoVisitNeighbors));
        ArgumentOutOfRangeException.ThrowIfNegative(CoVisitWeight, nameof(CoVisitWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(MembershipSharpness, nameof(MembershipSharpness));
        ArgumentOutOfRangeException.ThrowIfNegative(SegmentWeight, nameof(SegmentWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(PersonalWeight, nameof(PersonalWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(NearestItems, nameof(NearestItems));
        if (DeadSegmentFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(DeadSegmentFraction), DeadSegmentFraction, "must be in [0, 1)");
        if (CollaborativeShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(CollaborativeShare), CollaborativeShare, "must be in [0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(SegmentPrior, nameof(SegmentPrior));
        ArgumentOutOfRangeException.ThrowIfNegative(FusionExamples, nameof(FusionExamples));
        ArgumentOutOfRangeException.ThrowIfNegative(FusionLearningRate, nameof(FusionLearningRate));
        ArgumentOutOfRangeException.ThrowIfNegative(SegmentCoVisitWeight, nameof(SegmentCoVisitWeight));
        if (AnchorDecay is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(AnchorDecay), AnchorDecay, "must be in (0, 1]");
        if (CoVisitBackward is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(CoVisitBackward), CoVisitBackward, "must be in [0, 1]");
        ArgumentNullException.ThrowIfNull(Weights, nameof(Weights));
        if (!Enum.IsDefined(TextEmbedder)) throw new ArgumentOutOfRangeException(nameof(TextEmbedder), TextEmbedder, "must be none, hashing, minilm or file");
        return this;
    }
}
