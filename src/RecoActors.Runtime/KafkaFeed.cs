using System.Collections.Concurrent;
using System.Text;
using Akka.Actor;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RecoActors.Core;
using RecoActors.Kafka;

namespace RecoActors.Runtime;

/// <summary>
/// The node's one Kafka consumer: reads the partitions whose actors run on this node (assigned by hand, from their
/// checkpoints; no group rebalances: Akka's sharding decides who reads what), decodes the records, sends invalid
/// ones to the dead-letter topic, and delivers the rest to each partition's actor in batches, within its credit.
/// </summary>
/// <remarks>
/// <c>Consume</c> blocks, so the loop has a thread of its own; calls from actors are queued to it, since a client
/// is driven from one thread. A partition out of credit is paused and later resumed from the first record not
/// delivered, so nothing is buffered without bound and nothing is skipped. It resumes once half its window is back,
/// and a batch is up to half a window: resumed at the first credit back, a partition read a few records at a time,
/// its actor drained them in small batches, and its users got more, smaller messages (a third more than from the
/// in-memory feed, measured). Offsets are committed under the group id for lag tools only; the partition actors'
/// checkpoints are the truth.
/// </remarks>
public sealed class KafkaFeed : IPartitionFeed, IDisposable
{
    private const int RunLength = 8_192;
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan WarnEvery = TimeSpan.FromSeconds(10);
    private readonly KafkaOptions _options;
    private readonly int _partitions;
    private readonly DeadLetterWriter _deadLetters;
    private readonly ILogger _logger;
    private readonly IConsumer<Null, BehaviourEvent?> _consumer;
    private readonly RecordDecoder _decoder;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly Dictionary<int, Lane> _lanes = [];
    private readonly int[] _credit;
    private readonly long[] _ends;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _generations;
    private long _wrongPartition;
    // Lanes paused for credit; touched by the loop's thread only.
    private int _paused;
    // Per partition, the highest offset this node has screened: a replay or a restarted partition actor reads records
    // again, and a record sent to the dead-letter topic once is not sent again (a take-over by another node may).
    private readonly long[] _screenedTo;
    private long _lastWrongPartitionWarning = -(long)WarnEvery.TotalMilliseconds;

    private sealed class Lane(TopicPartition partition, IActorRef target, long generation, long position, int window)
    {
        /// <summary>Credit a paused lane waits for before it reads again, and the size of a full batch: half its window.</summary>
        public int ResumeAt = Half(window);
        public readonly TopicPartition Partition = partition;
        public readonly IActorRef Target = target;
        public long Generation = generation;
        public long Position = position;
        public bool Paused;
        // Reused: a batch goes out as an array of its own size (runs often end before a batch is full).
        public readonly List<FeedRecord> Batch = [];

        public static int Half(int window) => Math.Max(1, window / 2);
    }

    /// <summary>A consumer of <see cref="KafkaOptions.EventsTopic"/> (of <paramref name="partitions"/> partitions), started at once.</summary>
    public KafkaFeed(KafkaOptions options, string clientId, int partitions, DeadLetterWriter deadLetters, ILogger logger, EventRules? rules = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(logger);
        KafkaNative.EnsureLoaded();
        _options = options;
        _partitions = partitions;
        _deadLetters = deadLetters;
        _logger = logger;
        _credit = new int[partitions];
        _ends = new long[partitions];
        Array.Fill(_ends, -1);
        _screenedTo = new long[partitions];
        Array.Fill(_screenedTo, -1);
        var config = options.ToConsumerConfig(clientId);
        config.FetchWaitMaxMs = 50;
        // A partition whose local queue is over librdkafka's thresholds fetches again only after this; its default,
        // a second, stalled a feed paced by credit: 125k records/s from the mock cluster with it, 375–435k with 10 ms.
        config.Set("fetch.queue.backoff.ms", "10");
        // Not the topic (marshalled from native for every record, and it is always the events topic); headers and
        // timestamps stay, as a dead letter keeps them.
        config.ConsumeResultFields = "headers,timestamp";
        _decoder = new RecordDecoder(rules ?? EventRules.Default);
        _consumer = new ConsumerBuilder<Null, BehaviourEvent?>(config)
            .SetKeyDeserializer(_decoder)
            .SetValueDeserializer(_decoder)
            .SetErrorHandler((_, error) => _logger.Log(error.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Kafka consumer {ClientId}: {Reason}", clientId, error.Reason))
            .SetLogHandler((_, m) => _logger.Log(m.Level <= SyslogLevel.Warning ? LogLevel.Warning : LogLevel.Debug, "librdkafka {Facility}: {Message}", m.Facility, m.Message))
            .Build();
        _thread = new Thread(Run) { IsBackground = true, Name = $"feed:{clientId}" };
        _thread.Start();
    }

    /// <summary>Records that arrived on another partition than their user's (sent to the dead-letter topic as <c>wrong-partition</c>).</summary>
    public long WrongPartition => Interlocked.Read(ref _wrongPartition);

    /// <summary>Records sent to the dead-letter topic by this feed.</summary>
    public long DeadLetters => _deadLetters.Delivered;

    /// <inheritdoc />
    public long Open(int partition, long offset, IActorRef target, int credit)
    {
        var generation = Interlocked.Increment(ref _generations);
        Volatile.Write(ref _credit[partition], credit);
        _commands.Enqueue(() =>
        {
            var tp = new TopicPartition(_options.EventsTopic, partition);
            if (_lanes.Remove(partition, out var old))
            {
                Forget(old);
                _consumer.IncrementalUnassign([tp]);
            }
            _lanes[partition] = new Lane(tp, target, generation, offset, credit);
            _consumer.IncrementalAssign([new TopicPartitionOffset(tp, new Offset(offset))]);
        });
        return generation;
    }

    /// <inheritdoc />
    public long Seek(int partition, long offset, int credit)
    {
        var generation = Interlocked.Increment(ref _generations);
        Volatile.Write(ref _credit[partition], credit);
        _commands.Enqueue(() =>
        {
            if (!_lanes.TryGetValue(partition, out var lane)) return;
            lane.Generation = generation;
            lane.Position = offset;
            lane.ResumeAt = Lane.Half(credit);
            lane.Batch.Clear();
            if (lane.Paused)
            {
                lane.Paused = false;
                _paused--;
                _consumer.Resume([lane.Partition]);
            }
            _consumer.Seek(new TopicPartitionOffset(lane.Partition, new Offset(offset)));
        });
        return generation;
    }

    /// <inheritdoc />
    public void Close(int partition, long generation) => _commands.Enqueue(() =>
    {
        if (!_lanes.TryGetValue(partition, out var lane) || lane.Generation > generation) return;
        _lanes.Remove(partition);
        Forget(lane);
        _consumer.IncrementalUnassign([lane.Partition]);
    });

    /// <summary>A lane closed: it counts as paused no more.</summary>
    private void Forget(Lane lane)
    {
        if (lane.Paused) _paused--;
    }

    /// <inheritdoc />
    public void Grant(int partition, int records) => Interlocked.Add(ref _credit[partition], records);

    /// <inheritdoc />
    public void Committed(int partition, long nextOffset) => _commands.Enqueue(() =>
    {
        try
        {
            _consumer.Commit([new TopicPartitionOffset(_options.EventsTopic, partition, nextOffset)]);
        }
        catch (KafkaException ex)
        {
            _logger.LogDebug("Committing offset {Offset} of partition {Partition} to Kafka failed (monitoring only): {Reason}", nextOffset, partition, ex.Error.Reason);
        }
    });

    /// <inheritdoc />
    public void DeadLetter(int partition, long offset, BehaviourEvent ev, string code, string reason) =>
        _deadLetters.Send(new TopicPartitionOffset(_options.EventsTopic, partition, offset), Encoding.UTF8.GetBytes(ev.UserId), EventCodec.Encode(ev), new DecodeError(code, reason));

    /// <inheritdoc />
    public long? End(int partition) => Volatile.Read(ref _ends[partition]) is var end and >= 0 ? end : null;

    private void Run()
    {
        while (!_stopping)
        {
            try
            {
                Step();
            }
            catch (Exception ex) when (ex is KafkaException or InvalidOperationException)
            {
                _logger.LogWarning("Kafka feed: {Error}", ex.Message);
                Thread.Sleep(100);
            }
        }
        FlushAll();
        _consumer.Close();
    }

    private void Step()
    {
        while (_commands.TryDequeue(out var command)) command();
        if (_paused > 0) ResumeWithCredit();
        // Read what has arrived, a bounded run at a time so calls from actors are not kept waiting, and hand every
        // batch over at the end of the run (the first read waits for records; later ones take what is there).
        for (var read = 0; read < RunLength; read++)
        {
            ConsumeResult<Null, BehaviourEvent?>? record;
            try
            {
                record = _consumer.Consume(read == 0 ? PollTimeout : TimeSpan.Zero);
            }
            catch (ConsumeException ex)
            {
                _logger.LogWarning("Kafka feed could not read: {Reason}", ex.Error.Reason);
                return;
            }
            if (record is null)
            {
                FlushAll();
                UpdateEnds();
                return;
            }
            Take(record);
        }
        FlushAll();
    }

    private void ResumeWithCredit()
    {
        foreach (var paused in _lanes.Values)
        {
            if (!paused.Paused || Volatile.Read(ref _credit[paused.Partition.Partition.Value]) < paused.ResumeAt) continue;
            // Resume first: librdkafka resumes from the last position handed out, so the seek must come after it.
            paused.Paused = false;
            _paused--;
            _consumer.Resume([paused.Partition]);
            _consumer.Seek(new TopicPartitionOffset(paused.Partition, new Offset(paused.Position)));
        }
    }

    private void Take(ConsumeResult<Null, BehaviourEvent?> record)
    {
        var p = record.Partition.Value;
        // A closed partition, a paused one (fetched before the pause took effect) or one from before a seek: read again later.
        if (!_lanes.TryGetValue(p, out var lane) || lane.Paused || record.Offset.Value < lane.Position) return;
        lane.Position = record.Offset.Value + 1;
        lane.Batch.Add(new FeedRecord(record.Offset.Value, Decode(record)));
        if (Interlocked.Decrement(ref _credit[p]) <= 0)
        {
            Flush(lane);
            lane.Paused = true;
            _paused++;
            _consumer.Pause([lane.Partition]);
        }
        else if (lane.Batch.Count >= lane.ResumeAt) Flush(lane);
    }

    /// <summary>The record's event, or null after sending it to the dead-letter topic (the first time this node reads it).</summary>
    private BehaviourEvent? Decode(ConsumeResult<Null, BehaviourEvent?> record)
    {
        var p = record.Partition.Value;
        var first = record.Offset.Value > _screenedTo[p];
        if (first) _screenedTo[p] = record.Offset.Value;
        if (record.Message.Value is not { } ev)
        {
            if (first) DeadLetter(record, _decoder.Error!);
            return null;
        }
        var owner = Murmur2Partitioner.Partition(ev.UserId, _partitions);
        if (owner == p) return ev;
        // Another partitioner (librdkafka's default consistent_random, say) or another key: applying it here would put
        // this user's events in two shards.
        if (!first) return null;
        Interlocked.Increment(ref _wrongPartition);
        DeadLetter(record, new DecodeError("wrong-partition",
            $"user '{ev.UserId}' belongs to partition {owner} (murmur2 of the user id, the Java client's partitioner; librdkafka's 'murmur2_random') but the record is on partition {record.Partition.Value}: produce keyed by user id with that partitioner"));
        var now = Environment.TickCount64;
        if (now - _lastWrongPartitionWarning >= WarnEvery.TotalMilliseconds)
        {
            _lastWrongPartitionWarning = now;
            _logger.LogWarning("Records on the wrong partition ({Count} so far), e.g. user {User} on {Partition} instead of {Owner}: a producer is not using the murmur2 partitioner keyed by user id; they go to the dead-letter topic as 'wrong-partition'",
                WrongPartition, ev.UserId, record.Partition.Value, owner);
        }
        return null;
    }

    private void DeadLetter(ConsumeResult<Null, BehaviourEvent?> record, DecodeError error) =>
        _deadLetters.Send(new TopicPartitionOffset(_options.EventsTopic, record.Partition, record.Offset), _decoder.Key, _decoder.Value, error,
            record.Message.Headers, record.Message.Timestamp);

    private void Flush(Lane lane)
    {
        if (lane.Batch.Count == 0) return;
        lane.Target.Tell(new PartitionMessage.Records(lane.Generation, lane.Batch.ToArray()));
        lane.Batch.Clear();
    }

    private void FlushAll()
    {
        foreach (var lane in _lanes.Values) Flush(lane);
    }

    private void UpdateEnds()
    {
        foreach (var lane in _lanes.Values)
            if (_consumer.GetWatermarkOffsets(lane.Partition).High is { } high && high != Offset.Unset)
                Volatile.Write(ref _ends[lane.Partition.Partition.Value], high.Value);
    }

    /// <summary>Stops reading and closes the consumer (partition actors flush through their own hand-off).</summary>
    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _consumer.Dispose();
    }
}
