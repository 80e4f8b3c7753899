namespace RecoActors.Core;

/// <summary>A sentence-embedding language model: text in, one vector per text out (unit, its own dimension).</summary>
public interface ISentenceEncoder
{
    /// <summary>The model's name, for caches and logs.</summary>
    string Name { get; }

    /// <summary>The model's dimension.</summary>
    int Dimension { get; }

    /// <summary>One vector per text, in order; the same text always gives the same bits.</summary>
    float[][] Encode(IReadOnlyList<string> texts);
}
