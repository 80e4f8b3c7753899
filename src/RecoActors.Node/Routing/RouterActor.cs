using RecoActors.Actors;

namespace RecoActors.Node.Routing;

/// <summary>
/// The in-process door to the <see cref="Router"/>: same routing, same answers as HTTP. It keeps no state, so it
/// starts each request and moves on rather than awaiting it: one slow owner must not hold up every caller.
/// </summary>
internal sealed class RouterActor(Router router) : Actor<RouterMessage>
{
    /// <inheritdoc />
    protected override ValueTask ReceiveAsync(RouterMessage message)
    {
        switch (message)
        {
            case RouterMessage.Recommend recommend:
                Pipe(router.RecommendAsync(recommend.UserId, recommend.Count, default), recommend.Reply);
                break;
            case RouterMessage.ReadProfile read:
                Pipe(router.ProfileAsync(read.UserId, default), read.Reply);
                break;
        }
        return ValueTask.CompletedTask;
    }

    private static void Pipe<T>(Task<T> work, Reply<T> reply) =>
        work.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) reply.Send(t.Result);
            else reply.Fail(t.Exception?.GetBaseException() ?? new TaskCanceledException());
        }, TaskScheduler.Default);
}
