namespace RecoActors.Core;

/// <summary>What is known of an item's content.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Title">Its title.</param>
/// <param name="Genres">Its genres.</param>
/// <param name="Tags">Tags users gave it.</param>
public sealed record ItemText(string ItemId, string Title, IReadOnlyList<string> Genres, IReadOnlyList<string> Tags);
