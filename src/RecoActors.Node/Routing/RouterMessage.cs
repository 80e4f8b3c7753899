using RecoActors.Actors;
using RecoActors.Node.Http;

namespace RecoActors.Node.Routing;

/// <summary>What in-process callers ask the router actor; the answers are the HTTP API's.</summary>
public abstract record RouterMessage
{
    private RouterMessage() { }

    /// <summary>A personal ranking of <paramref name="Count"/> items for <paramref name="UserId"/>; fails with <see cref="RouteException"/>.</summary>
    public sealed record Recommend(string UserId, int Count, Reply<RecommendationsResponse> Reply) : RouterMessage;

    /// <summary>A user's profile, or null for a user with no events; fails with <see cref="RouteException"/>.</summary>
    public sealed record ReadProfile(string UserId, Reply<ProfileResponse?> Reply) : RouterMessage;
}
