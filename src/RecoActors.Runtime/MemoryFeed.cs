using System.Collections.Concurrent;
using Akka.Actor;
using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>
/// An in-memory partitioned log that feeds partition actors as the Kafka consumer does (batches in offset order,
/// credit, replays from any offset): for tests, benchmarks and the evaluator, where Kafka is not the point. Several
/// nodes in one process may share one: a partition is open for one actor at a time, the newest opening wins.
/// </summary>
public sealed class MemoryFeed : IPartitionFeed, IDisposable
{
    private const int BatchSize = 512;
    private readonly List<FeedRecord>[] _log;
    private readonly Lane?[] _lanes;
    private readonly int[] _credit;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly ConcurrentDictionary<(int Partition, long Offset), (string Code, string Reason)> _deadLetters = new();
    private readonly long[] _committed;
    private readonly Thread _pump;
    private readonly AutoResetEvent _work = new(false);
    private volatile bool _stopping;
    private int _waiting;
    private long _generations;

    /// <summary>A reader's place in one partition; touched by the pump thread only.</summary>
    private sealed class Lane(IActorRef target, long generation, long position, int window)
    {
        public readonly IActorRef Target = target;
        public long Generation = generation;
        public long Position = position;

        /// <summary>The smallest batch worth sending while more is waiting: half the credit the reader opened with, at most a whole batch.</summary>
        public readonly int MinBatch = Math.Max(1, Math.Min(BatchSize, window / 2));
    }

    /// <summary>An empty log of <paramref name="partitions"/> partitions.</summary>
    public MemoryFeed(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        _log = [.. Enumerable.Range(0, partitions).Select(_ => new List<FeedRecord>())];
        _lanes = new Lane?[partitions];
        _credit = new int[partitions];
        _committed = new long[partitions];
        _pump = new Thread(Pump) { IsBackground = true, Name = "memory-feed" };
        _pump.Start();
    }

    /// <summary>Appends an event to <paramref name="partition"/>; returns its offset.</summary>
    public long Append(int partition, BehaviourEvent? ev)
    {
        long offset;
        lock (_log[partition])
        {
            offset = _log[partition].Count;
            _log[partition].Add(new FeedRecord(offset, ev));
        }
        // A wake-up is a system call: only for a pump that is waiting.
        if (Volatile.Read(ref _waiting) != 0) _work.Set();
        return offset;
    }

    /// <summary>The checkpoint last reported for <paramref name="partition"/>.</summary>
    public long CommittedOffset(int partition) => Interlocked.Read(ref _committed[partition]);

    /// <summary>Records sent to the dead-letter topic on behalf of users, with their code and reason.</summary>
    public IReadOnlyDictionary<(int Partition, long Offset), (string Code, string Reason)> DeadLetters => _deadLetters;

    /// <inheritdoc />
    public long Open(int partition, long offset, IActorRef target, int credit)
    {
        var generation = Interlocked.Increment(ref _generations);
        Volatile.Write(ref _credit[partition], credit);
        Command(() => _lanes[partition] = new Lane(target, generation, offset, credit));
        return generation;
    }

    /// <inheritdoc />
    public long Seek(int partition, long offset, int credit)
    {
        var generation = Interlocked.Increment(ref _generations);
        Volatile.Write(ref _credit[partition], credit);
        Command(() =>
        {
            if (_lanes[partition] is not { } lane) return;
            lane.Generation = generation;
            lane.Position = offset;
        });
        return generation;
    }

    /// <inheritdoc />
    public void Close(int partition, long generation) => Command(() =>
    {
        if (_lanes[partition]?.Generation <= generation) _lanes[partition] = null;
    });

    /// <inheritdoc />
    public void Grant(int partition, int records)
    {
        // Wake the pump when a whole batch's worth of credit is back, not for every grant.
        var now = Interlocked.Add(ref _credit[partition], records);
        if (_lanes[partition] is { } lane && now >= lane.MinBatch && now - records < lane.MinBatch) _work.Set();
    }

    private void Command(Action command)
    {
        _commands.Enqueue(command);
        _work.Set();
    }

    /// <inheritdoc />
    public void Committed(int partition, long nextOffset) => Interlocked.Exchange(ref _committed[partition], nextOffset);

    /// <inheritdoc />
    public void DeadLetter(int partition, long offset, BehaviourEvent ev, string code, string reason) => _deadLetters[(partition, offset)] = (code, reason);

    /// <inheritdoc />
    public long? End(int partition)
    {
        lock (_log[partition]) return _log[partition].Count;
    }

    private void Pump()
    {
        while (!_stopping)
        {
            while (_commands.TryDequeue(out var command)) command();
            var sent = false;
            for (var partition = 0; partition < _lanes.Length; partition++)
            {
                if (_lanes[partition] is not { } lane) continue;
                var credit = Volatile.Read(ref _credit[partition]);
                List<FeedRecord> batch;
                lock (_log[partition])
                {
                    var available = _log[partition].Count - lane.Position;
                    var count = (int)Math.Min(Math.Min(BatchSize, credit), available);
                    // Worthwhile batches while more is waiting; a short one only for the tail of the log.
                    if (count <= 0 || (count < lane.MinBatch && count < available)) continue;
                    batch = _log[partition].GetRange((int)lane.Position, count);
                }
                lane.Position += batch.Count;
                Interlocked.Add(ref _credit[partition], -batch.Count);
                lane.Target.Tell(new PartitionMessage.Records(lane.Generation, batch));
                sent = true;
            }
            if (sent) continue;
            // Say it waits, then look once more: an append either sees the flag or is seen by that look.
            if (Interlocked.Exchange(ref _waiting, 1) == 0) continue;
            _work.WaitOne(TimeSpan.FromMilliseconds(50));
            Volatile.Write(ref _waiting, 0);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping = true;
        _work.Set();
        _pump.Join();
        _work.Dispose();
    }
}
