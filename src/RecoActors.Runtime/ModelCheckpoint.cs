using MessagePack;

namespace RecoActors.Runtime;

/// <summary>
/// The segment model as persisted: everything it learned (<see cref="Core.GlobalModel.Save"/>) and where it stands in
/// the partials topic. A node starts from the latest one and reads the topic on from <paramref name="Resume"/>.
/// </summary>
/// <param name="Version">The model's version (folds so far).</param>
/// <param name="Completed">Offset in the partials topic of the last partial folded in.</param>
/// <param name="Resume">Where to read the partials topic on from.</param>
/// <param name="State">The model's state.</param>
[MessagePackObject]
public sealed record ModelCheckpoint(
    [property: Key(0)] long Version,
    [property: Key(1)] long Completed,
    [property: Key(2)] long Resume,
    [property: Key(3)] byte[] State) : IRuntimeSerializable
{
    /// <summary>The persistence id of a model folded from <paramref name="partialsTopic"/> (one per cluster, the same on every node).</summary>
    public static string PersistenceId(string partialsTopic) => $"model-{partialsTopic}";
}
