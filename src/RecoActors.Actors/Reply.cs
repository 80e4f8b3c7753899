namespace RecoActors.Actors;

/// <summary>Where an actor sends the answer to an <see cref="ActorRef{T}.Ask{TReply}"/>.</summary>
public sealed class Reply<T>
{
    private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Task<T> Task => _answer.Task;

    /// <summary>Answers; later answers are ignored.</summary>
    public void Send(T value) => _answer.TrySetResult(value);

    /// <summary>Answers with a failure; the asker's task throws it.</summary>
    public void Fail(Exception error) => _answer.TrySetException(error);
}
