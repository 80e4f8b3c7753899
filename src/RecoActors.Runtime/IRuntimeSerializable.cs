namespace RecoActors.Runtime;

/// <summary>A runtime message that crosses nodes or is persisted: bound to <see cref="RuntimeSerializer"/>.</summary>
public interface IRuntimeSerializable;
