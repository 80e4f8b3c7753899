namespace RecoActors.Core.Tests;

/// <summary>
/// What a node wrote before the segments kept their own neighbours and weights (format version 1) still reads: a
/// model snapshot in the store and the partials in the exchange topic at the time of an upgrade. The fixtures were
/// written by the code of that version (Fixtures/v1.txt holds what its model published).
/// </summary>
public class FormatVersionTests
{
    private static readonly ModelOptions Options = new() { Dimension = 16, Segments = 3, Seed = 3, TextEmbedder = TextEmbedderKind.None };

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static Dictionary<string, string> Published() =>
        File.ReadAllLines(Fixture("v1.txt")).Select(line => line.Split(' ', 2)).ToDictionary(p => p[0] == "related" ? $"related {p[1].Split(' ')[0]}" : p[0], p => p[0] == "related" ? p[1].Split(' ', 2)[1] : p[1]);

    [Fact]
    public void A_version_1_model_state_loads_with_what_it_held_and_the_new_state_where_it_starts()
    {
        var published = Published();
        var model = new GlobalModel(Options, new ItemCatalog());
        model.Load(File.ReadAllBytes(Fixture("model-state-v1.bin")));
        var snapshot = model.Current;

        Assert.Equal(long.Parse(published["version"]), snapshot.Version);
        Assert.Equal(published["weights"], string.Join(" ", snapshot.Weights.Select(w => w.ToString("R"))));
        for (var k = 0; k < snapshot.SegmentCount; k++)
        {
            Assert.Equal(published[$"top{k}"], string.Join(" ", snapshot.TopItems(k, 5).Select(x => x.ItemId)));
            Assert.Equal(FusionWeights.Initial(Options), snapshot.FusionWeights[k]);
        }
        foreach (var id in new[] { "i0", "i1", "i2" })
        {
            var item = model.Catalog.GetOrAdd(id);
            Assert.Equal(published[$"related {id}"], string.Join(" ", snapshot.Related(item).Take(5).Select(x => x.ItemId)));
            Assert.All(Enumerable.Range(0, snapshot.SegmentCount), k => Assert.Empty(snapshot.Related(item, k)));
        }
        // It saves as the current version, which loads back.
        var again = new GlobalModel(Options, new ItemCatalog());
        again.Load(model.Save());
        Assert.Equal(snapshot.Version, again.Current.Version);
    }

    [Fact]
    public void A_version_1_partial_reads_as_one_whose_pairs_belong_to_no_segment_and_folds_on()
    {
        var model = new GlobalModel(Options, new ItemCatalog());
        model.Load(File.ReadAllBytes(Fixture("model-state-v1.bin")));
        var partial = PartialCodec.Decode(File.ReadAllBytes(Fixture("partial-v1.bin")), model.Catalog, Options);

        Assert.Equal(long.Parse(Published()["partial"].Split(' ')[1]), partial.Events);
        Assert.NotEmpty(partial.CoVisits);
        Assert.All(partial.CoVisits, pair => Assert.Equal(-1, pair.Segment));
        Assert.Empty(partial.Examples);
        var before = model.Current.Version;
        Assert.Equal(before + 1, model.Apply(partial).Version);
    }
}
