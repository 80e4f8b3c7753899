using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;

namespace RecoActors.Kafka.Tests;

/// <summary>The partials topic on librdkafka's mock cluster: what a reader is handed, and when it has caught up.</summary>
public sealed class PartialExchangeTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly MockKafkaCluster _cluster = MockKafkaCluster.Start(1);
    private readonly KafkaOptions _options;

    public PartialExchangeTests()
    {
        _options = new KafkaOptions { BootstrapServers = _cluster.BootstrapServers };
        _cluster.CreateTopics(_options, 1);
    }

    public void Dispose() => _cluster.Dispose();

    /// <summary>Publishes <paramref name="sizes"/> partials of those sizes, every byte its partial's index, and waits for Kafka to take them.</summary>
    private void Publish(params int[] sizes)
    {
        using var writer = new PartialExchange(_options, "writer", NullLogger.Instance);
        for (var i = 0; i < sizes.Length; i++) writer.Publish(Enumerable.Repeat((byte)i, sizes[i]).ToArray());
    }

    [Fact]
    public async Task A_reader_has_caught_up_once_it_was_handed_every_partial_the_topic_held_when_it_started()
    {
        // The second partial is three chunks.
        Publish(10, 1_200_000, 20);
        var handed = new ConcurrentQueue<(byte[] Partial, ExchangePosition At, bool CaughtUp)>();
        using var reader = new PartialExchange(_options, "reader", NullLogger.Instance);
        reader.Start(ExchangePosition.Beginning, (partial, at) => handed.Enqueue((partial, at, reader.CaughtUp.IsCompleted)));
        await reader.CaughtUp.WaitAsync(Deadline);

        // Handed on whole and in order, every one before the reader said it had caught up.
        Assert.Equal([10, 1_200_000, 20], handed.Select(h => h.Partial.Length));
        Assert.DoesNotContain(handed, h => h.CaughtUp);
        Assert.All(handed.Select((h, i) => (h.Partial, i)), p => Assert.All(p.Partial, b => Assert.Equal(p.i, b)));
        Assert.Equal(5, handed.Last().At.Resume);

        // A reader that resumes at the end has nothing to wait for.
        using var resumed = new PartialExchange(_options, "resumed", NullLogger.Instance);
        var more = 0;
        resumed.Start(handed.Last().At, (_, _) => Interlocked.Increment(ref more));
        await resumed.CaughtUp.WaitAsync(Deadline);
        Assert.Equal(0, Volatile.Read(ref more));
    }

    [Fact]
    public async Task A_reader_of_an_empty_topic_has_caught_up_at_once_and_is_handed_what_comes_later()
    {
        var first = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var reader = new PartialExchange(_options, "reader", NullLogger.Instance);
        reader.Start(ExchangePosition.Beginning, (partial, _) => first.TrySetResult(partial));
        await reader.CaughtUp.WaitAsync(Deadline);
        Assert.False(first.Task.IsCompleted);

        Publish(7);
        Assert.Equal(7, (await first.Task.WaitAsync(Deadline)).Length);
    }
}
