namespace RecoActors.Node.Hosting;

/// <summary>Settings that do not allow a node to start; <see cref="Exception.Message"/> lists every problem.</summary>
/// <param name="errors">The problems, each naming its field.</param>
public sealed class ConfigurationException(IReadOnlyList<string> errors)
    : InvalidOperationException("invalid configuration:\n  " + string.Join("\n  ", errors))
{
    /// <summary>The problems, each naming its field.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
