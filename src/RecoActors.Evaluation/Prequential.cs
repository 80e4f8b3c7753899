using System.Diagnostics;
using System.Globalization;
using RecoActors.Core;

namespace RecoActors.Evaluation;

/// <summary>
/// Prequential evaluation (DESIGN §4): events in timestamp order (ties: file order); for each event with
/// rating ≥ 4 whose user has an earlier event, every model is first asked for its top 10 excluding what the user
/// already interacted with, then every model learns the event. Every event is applied.
/// </summary>
public static class Prequential
{
    /// <summary>Ratings at or above this are the positive events asked about.</summary>
    public const float PositiveRating = 4f;

    /// <summary>The list length scored.</summary>
    public const int ListLength = 10;

    /// <summary>Runs the four models over the log.</summary>
    /// <param name="dataset">A name for the report.</param>
    /// <param name="log">The ratings.</param>
    /// <param name="items">Item text for content vectors (may be empty).</param>
    /// <param name="options">Fusion model options; k1 is the same with one segment.</param>
    /// <param name="text">Gives the items' content vectors (hashing, a language model, a file), or null for none.</param>
    /// <param name="batchEvents">Events per global-model batch.</param>
    /// <param name="progress">Told the number of events done, now and then.</param>
    /// <param name="only">Run only these models (by name); null runs all of them.</param>
    /// <param name="engine">Builds fusion and k1: null runs the Core-only loop; the node passes its actors.</param>
    /// <param name="ablate">
    /// Also run fusion with each term of its score removed (<c>fusion-segments</c>, <c>fusion-personal</c>,
    /// <c>fusion-related</c>, <c>fusion-local</c>), with its weights fixed at their initial values (<c>fusion-fixed</c>),
    /// and with every user an equal member of every segment (<c>fusion-uniform</c>: what a user's own segments add).
    /// </param>
    public static EvaluationReport Run(string dataset, RatingsLog log, IReadOnlyList<ItemText> items, ModelOptions options,
        ITextEmbedder? text = null, int batchEvents = 200, IProgress<int>? progress = null,
        IReadOnlyCollection<string>? only = null, FusionFactory? engine = null, bool ablate = false)
    {
        engine ??= (o, batch, catalog) => new FusionModel(new Recommender(o, batch, catalog));
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(items);
        // Every interacted item is excluded from the lists, so the profile must remember them all.
        options = options with { SeenCapacity = Math.Max(options.SeenCapacity, 1 << 16) };

        var catalog = new ItemCatalog();
        // The product's model, its one-segment variant, and (ablation) the model with each term of its score removed.
        var variants = new List<(string Name, ModelOptions Options)> { ("fusion", options), ("k1", options with { Segments = 1 }) };
        if (ablate)
            variants.AddRange([
                ("fusion-segments", options with { SegmentWeight = 0 }),
                ("fusion-personal", options with { PersonalWeight = 0 }),
                ("fusion-related", options with { CoVisitWeight = 0 }),
                ("fusion-local", options with { SegmentCoVisitWeight = 0 }),
                ("fusion-fixed", options with { FusionLearningRate = 0 }),
                ("fusion-uniform", options with { NearestSegments = options.Segments, MembershipSharpness = 0 }),
            ]);
        var engines = variants.Select(v => engine(v.Options, batchEvents, catalog)).ToList();
        if (text is not null)
        {
            var vectors = text.EmbedCatalogue(items);
            for (var i = 0; i < items.Count; i++)
                foreach (var e in engines) e.SetItemVector(items[i].ItemId, vectors[i]);
        }
        // A file may hold vectors of items that have no text.
        if (text is ExternalVectors external)
            foreach (var (id, vector) in external.Vectors.OrderBy(e => e.Key, StringComparer.Ordinal))
                if (!catalog.TryGet(id, out _))
                    foreach (var e in engines) e.SetItemVector(id, vector);

        var models = variants.Select((v, i) => (Name: v.Name, Model: (IPrequentialModel)engines[i]))
            .Concat([("pop", new PopularityModel(options.ModelHalfLifeMs)), ("itemknn", new ItemKnnModel(options.ModelHalfLifeMs))])
            .ToArray();
        if (only is not null) models = [.. models.Where(m => only.Contains(m.Name))];
        var hits = new int[models.Length];
        var gains = new double[models.Length];
        var ticks = new long[models.Length];
        var covered = models.Select(_ => new HashSet<int>()).ToArray();
        var seen = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var logItems = new HashSet<int>();
        var evaluated = 0;

        // OrderBy is stable: equal timestamps keep file order.
        var ordered = log.Ratings.OrderBy(r => r.Timestamp).ToList();
        for (var e = 0; e < ordered.Count; e++)
        {
            var rating = ordered[e];
            var item = catalog.GetOrAdd(rating.ItemId);
            logItems.Add(item);
            if (!seen.TryGetValue(rating.UserId, out var history)) seen[rating.UserId] = history = [];

            var ask = rating.Value >= PositiveRating && history.Count > 0;
            if (ask) evaluated++;
            for (var m = 0; m < models.Length; m++)
            {
                var start = Stopwatch.GetTimestamp();
                if (ask)
                {
                    var list = models[m].Model.Recommend(rating.UserId, ListLength, history);
                    covered[m].UnionWith(list);
                    for (var rank = 0; rank < list.Count; rank++)
                    {
                        if (list[rank] != item) continue;
                        hits[m]++;
                        gains[m] += 1.0 / Math.Log2(rank + 2);
                        break;
                    }
                }
                models[m].Model.Apply(rating, item);
                ticks[m] += Stopwatch.GetTimestamp() - start;
            }
            history.Add(item);
            if ((e + 1) % 1000 == 0) progress?.Report(e + 1);
        }
        progress?.Report(ordered.Count);
        foreach (var e in engines) (e as IDisposable)?.Dispose();

        var scores = new Dictionary<string, ModelScore>();
        for (var m = 0; m < models.Length; m++)
        {
            var seconds = Math.Max(ticks[m], 1) / (double)Stopwatch.Frequency;
            scores[models[m].Name] = new ModelScore(
                Round(evaluated == 0 ? 0 : (double)hits[m] / evaluated),
                Round(evaluated == 0 ? 0 : gains[m] / evaluated),
                Round(logItems.Count == 0 ? 0 : (double)covered[m].Count / logItems.Count),
                Math.Round(ordered.Count / seconds));
        }
        return new EvaluationReport(dataset, ordered.Count, evaluated, log.Malformed, scores, Describe(options, batchEvents, text));
    }

    private static double Round(double x) => Math.Round(x, 5);

    private static Dictionary<string, string> Describe(ModelOptions o, int batchEvents, ITextEmbedder? text) => new()
    {
        ["dimension"] = o.Dimension.ToString(CultureInfo.InvariantCulture),
        ["segments"] = o.Segments.ToString(CultureInfo.InvariantCulture),
        ["profileHalfLifeDays"] = (o.ProfileHalfLifeMs / 86_400_000.0).ToString(CultureInfo.InvariantCulture),
        ["modelHalfLifeDays"] = (o.ModelHalfLifeMs / 86_400_000.0).ToString(CultureInfo.InvariantCulture),
        ["nearestSegments"] = o.NearestSegments.ToString(CultureInfo.InvariantCulture),
        ["personalWeight"] = o.PersonalWeight.ToString(CultureInfo.InvariantCulture),
        ["batchEvents"] = batchEvents.ToString(CultureInfo.InvariantCulture),
        ["itemVectors"] = text is null ? "collaborative" : $"{text.Name} + collaborative",
        ["collaborativeShare"] = o.CollaborativeShare.ToString(CultureInfo.InvariantCulture),
    };
}
