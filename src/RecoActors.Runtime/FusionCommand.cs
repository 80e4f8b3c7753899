using Akka.Actor;
using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>What the node's <see cref="FusionActor"/> is told. Local only: a user entity and its node's fusion actor share a node.</summary>
internal abstract record FusionCommand
{
    private FusionCommand() { }

    /// <summary>Rank for a user: the entity hands over a copy of its profile and who asked.</summary>
    /// <param name="UserId">The user.</param>
    /// <param name="Count">How many items.</param>
    /// <param name="Profile">A copy of the user's profile (the entity goes on changing its own); null for a user with no events.</param>
    /// <param name="ReplyTo">Who gets the <see cref="Protocol.Recommendations"/>.</param>
    public sealed record Rank(string UserId, int Count, Profile? Profile, IActorRef ReplyTo) : FusionCommand;
}
