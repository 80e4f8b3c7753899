using System.Collections.Concurrent;
using Akka.Actor;
using RecoActors.Core;

namespace RecoActors.Runtime;

/// <summary>
/// An in-memory partitioned log that feeds partition actors as the Kafka consumer does (batches in offset order,
/// credit, replays from any offset): for tests, benchmarks and the evaluator, where Kafka is not the point.
/// </summary>
public sealed class MemoryFeed : IPartitionFeed, IDisposable
{
    private const int BatchSize = 512;
    private readonly List<FeedRecord>[] _log;
    private readonly ConcurrentDictionary<int, Lane> _lanes = new();
    private readonly ConcurrentDictionary<(int Partition, long Offset), (string Code, string Reason)> _deadLetters = new();
    private readonly long[] _committed;
    private readonly Thread _pump;
    private readonly SemaphoreSlim _work = new(0);
    private volatile bool _stopping;
    private long _generations;

    private sealed class Lane(IActorRef target, long generation, long position, int credit)
    {
        public readonly object Gate = new();
        public IActorRef Target = target;
        public long Generation = generation;
        public long Position = position;
        public int Credit = credit;
    }

    /// <summary>An empty log of <paramref name="partitions"/> partitions.</summary>
    public MemoryFeed(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        _log = [.. Enumerable.Range(0, partitions).Select(_ => new List<FeedRecord>())];
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
        _work.Release();
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
        _lanes[partition] = new Lane(target, generation, offset, credit);
        _work.Release();
        return generation;
    }

    /// <inheritdoc />
    public long Seek(int partition, long offset, int credit)
    {
        var generation = Interlocked.Increment(ref _generations);
        if (_lanes.TryGetValue(partition, out var lane))
            lock (lane.Gate)
            {
                lane.Generation = generation;
                lane.Position = offset;
                lane.Credit = credit;
            }
        _work.Release();
        return generation;
    }

    /// <inheritdoc />
    public void Close(int partition) => _lanes.TryRemove(partition, out _);

    /// <inheritdoc />
    public void Grant(int partition, int records)
    {
        if (!_lanes.TryGetValue(partition, out var lane)) return;
        lock (lane.Gate) lane.Credit += records;
        _work.Release();
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
            _work.Wait(TimeSpan.FromMilliseconds(50));
            var sent = true;
            while (sent && !_stopping)
            {
                sent = false;
                foreach (var (partition, lane) in _lanes)
                {
                    lock (lane.Gate)
                    {
                        List<FeedRecord> batch;
                        lock (_log[partition])
                        {
                            var count = (int)Math.Min(Math.Min(BatchSize, lane.Credit), _log[partition].Count - lane.Position);
                            if (count <= 0) continue;
                            batch = _log[partition].GetRange((int)lane.Position, count);
                        }
                        lane.Position += batch.Count;
                        lane.Credit -= batch.Count;
                        lane.Target.Tell(new PartitionMessage.Records(lane.Generation, batch));
                        sent = true;
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping = true;
        _work.Release();
        _pump.Join();
        _work.Dispose();
    }
}
