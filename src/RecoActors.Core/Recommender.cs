namespace RecoActors.Core;

/// <summary>
/// The whole model on one stream, in one thread: profiles, the global model folded every
/// <see cref="BatchEvents"/> events, fusion. It is the reference the distributed pipeline must match bit for bit.
/// </summary>
public sealed class Recommender
{
    private readonly Dictionary<string, Profile> _profiles = new(StringComparer.Ordinal);
    private readonly float[] _scratch;
    private ModelPartial _partial;

    /// <summary>Creates an empty model.</summary>
    /// <param name="options">Model options.</param>
    /// <param name="batchEvents">Events per batch: the global model publishes a new snapshot after each batch.</param>
    /// <param name="catalog">An item catalog to share (so other models use the same indexes), or a new one.</param>
    /// <param name="text">Embeds the tags users write, or null.</param>
    public Recommender(ModelOptions options, int batchEvents = 200, ItemCatalog? catalog = null, ITextEmbedder? text = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchEvents);
        Options = options.Validate();
        BatchEvents = batchEvents;
        Catalog = catalog ?? new ItemCatalog();
        Model = new GlobalModel(options, Catalog, text);
        _partial = Model.NewPartial();
        _scratch = new float[2 * options.Dimension];
    }

    /// <summary>Model options.</summary>
    public ModelOptions Options { get; }

    /// <summary>Events per batch.</summary>
    public int BatchEvents { get; }

    /// <summary>Item indexes.</summary>
    public ItemCatalog Catalog { get; }

    /// <summary>The global model.</summary>
    public GlobalModel Model { get; }

    /// <summary>The latest snapshot.</summary>
    public ModelSnapshot Snapshot => Model.Current;

    /// <summary>Every user's profile.</summary>
    public IReadOnlyDictionary<string, Profile> Profiles => _profiles;

    /// <summary>Sets an item's content or external vector.</summary>
    public void SetItemVector(string itemId, ReadOnlySpan<float> vector) => Model.SetContent(Catalog.GetOrAdd(itemId), vector);

    /// <summary>Applies one event.</summary>
    public void Apply(BehaviourEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        var item = Catalog.GetOrAdd(ev.ItemId);
        if (!_profiles.TryGetValue(ev.UserId, out var profile))
            _profiles[ev.UserId] = profile = Core.Profile.For(Options);
        ProfileUpdater.Apply(profile, ev.ItemId, item, ev.Type, ev.Value, ev.Timestamp, Model.Current, _partial, _scratch, ev.Text);
        if (_partial.Events >= BatchEvents) Flush();
    }

    /// <summary>Folds the pending partial into the global model now.</summary>
    public void Flush()
    {
        Model.Apply(_partial);
        _partial.Reset(Model.Current.Epoch);
    }

    /// <summary>A user's profile, or null when the user has no events.</summary>
    public Profile? Profile(string userId) => _profiles.GetValueOrDefault(userId);

    /// <summary>A personal ranking with explanations.</summary>
    public Recommendation Recommend(string userId, int count, float diversity = 0f) =>
        Fusion.Recommend(Profile(userId), Snapshot, count, diversity: diversity);

    /// <summary>Ranked item indexes only, excluding <paramref name="exclude"/>: the evaluator's fast path.</summary>
    public (int Item, float Score)[] Rank(string userId, int count, IReadOnlySet<int>? exclude) =>
        Fusion.Rank(Profile(userId), Snapshot, count, exclude);
}
