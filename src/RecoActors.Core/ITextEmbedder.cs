namespace RecoActors.Core;

/// <summary>
/// Turns text into unit vectors of the model's dimension: an item's text (title, genres, tags) into its content
/// vector, and a tag a user writes into the direction it moves that user's profile. Implementations must be
/// deterministic and safe to call from several threads: every node, and the single-stream reference, embeds the
/// same text to the same bits.
/// </summary>
public interface ITextEmbedder
{
    /// <summary>The model's name (<c>hashing</c>, <c>minilm</c>), for caches and logs.</summary>
    string Name { get; }

    /// <summary>The vectors' dimension (the model's).</summary>
    int Dimension { get; }

    /// <summary>
    /// Unit vectors of the catalogue a node starts with, in order (all zeros for an item without text); a model may
    /// fit itself to it, so call it once, before <see cref="EmbedText"/>.
    /// </summary>
    float[][] EmbedCatalogue(IReadOnlyList<ItemText> items);

    /// <summary>A unit vector for a short text a user wrote; all zeros when it has no words.</summary>
    float[] EmbedText(string text);
}
