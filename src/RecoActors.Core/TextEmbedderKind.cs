namespace RecoActors.Core;

/// <summary>Where items' content vectors, and the vectors of what users write, come from.</summary>
public enum TextEmbedderKind
{
    /// <summary>No text: items are known only by their signatures and what users do with them.</summary>
    None,
    /// <summary>Feature hashing of words, genres and tags (<see cref="ContentEmbedder"/>): no model, no vocabulary.</summary>
    Hashing,
    /// <summary>A sentence-embedding language model (all-MiniLM-L6-v2) run locally (<see cref="SentenceEmbedder"/>).</summary>
    MiniLm,
    /// <summary>Item vectors from a file (<see cref="ExternalVectors"/>).</summary>
    File,
}
