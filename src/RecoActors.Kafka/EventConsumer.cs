using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RecoActors.Kafka;

/// <summary>
/// The node's consumer loop: joins the group, hands assignments, revocations and events to an
/// <see cref="IShardListener"/>, and sends records that are not valid events to the dead-letter topic.
/// Nothing a record contains can stop the loop.
/// </summary>
/// <remarks>
/// The loop runs on a thread of its own because <c>Consume</c> blocks; librdkafka runs the rebalance callbacks
/// inside that call, so the listener sees one ordered stream of calls.
/// </remarks>
public sealed class EventConsumer : IDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DeadLetterFlushTimeout = TimeSpan.FromSeconds(30);

    private readonly KafkaOptions _options;
    private readonly IShardListener _listener;
    private readonly DeadLetterWriter _deadLetters;
    private readonly EventRules _rules;
    private readonly ILogger _logger;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private volatile bool _killed;
    private Thread? _thread;
    private readonly Dictionary<TopicPartition, long> _paused = [];
    private readonly HashSet<TopicPartition> _pausedBeforeRebalance = [];
    private readonly Dictionary<TopicPartition, Offset> _assignedAt = [];
    private bool _rebalanced;
    private long _resumeCheckedAt;
    private int _pausedCount;

    /// <summary>This member's client id.</summary>
    public string ClientId { get; }

    /// <summary>Completes when the loop has left the group and stopped (faulted if the loop itself failed).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Builds a consumer for <see cref="KafkaOptions.EventsTopic"/>; call <see cref="Start"/> to join the group.</summary>
    public EventConsumer(KafkaOptions options, string clientId, IShardListener listener, DeadLetterWriter deadLetters,
        ILogger logger, EventRules? rules = null, Action<ConsumerConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(logger);
        KafkaNative.EnsureLoaded();
        _options = options;
        _listener = listener;
        _deadLetters = deadLetters;
        _logger = logger;
        _rules = rules ?? EventRules.Default;
        ClientId = clientId;

        var config = options.ToConsumerConfig(clientId);
        configure?.Invoke(config);
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .SetErrorHandler((_, error) => _logger.Log(error.IsFatal ? LogLevel.Critical : LogLevel.Warning,
                "Kafka consumer {ClientId}: {Reason}", ClientId, error.Reason))
            .SetLogHandler((_, m) => _logger.Log(ToLevel(m.Level), "librdkafka {Facility}: {Message}", m.Facility, m.Message))
            .Build();
    }

    /// <summary>How many partitions are paused now, waiting for the listener (back-pressure or a store outage).</summary>
    public int PausedPartitions => Volatile.Read(ref _pausedCount);

    /// <summary>The partitions this member holds now.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _consumer.Assignment;

    /// <summary>
    /// The end of each held partition (the offset the next produced record gets) as last seen by the fetcher:
    /// cheap, no broker round trip; a partition not fetched yet is left out.
    /// </summary>
    public IReadOnlyList<(TopicPartition Partition, long End)> Ends()
    {
        var ends = new List<(TopicPartition, long)>();
        try
        {
            foreach (var tp in _consumer.Assignment)
                if (_consumer.GetWatermarkOffsets(tp).High is { } high && high != Offset.Unset) ends.Add((tp, high.Value));
        }
        catch (ObjectDisposedException)
        {
            // Killed or disposed: nothing is held any more.
        }
        return ends;
    }

    /// <summary>Joins the group and starts the loop.</summary>
    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("the consumer was already started");
        _consumer.Subscribe(_options.EventsTopic);
        _thread = new Thread(Run) { IsBackground = true, Name = $"consume:{ClientId}" };
        _thread.Start();
    }

    /// <summary>Stops reading, revokes every partition (the listener flushes), leaves the group, and waits.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        if (_thread is null) return;
        await Completion.ConfigureAwait(false);
    }

    /// <summary>
    /// Stops like a crash, for failure tests: the loop ends without revoking (no flush) and without leaving the
    /// group, so the partitions move only when the session times out.
    /// </summary>
    public void Kill()
    {
        _killed = true;
        _stopping = true;
        _thread?.Join();
        _consumer.Dispose();
    }

    /// <summary>Commits offsets to Kafka; the store's checkpoint is the truth, this is for lag monitoring.</summary>
    public void Commit(IEnumerable<TopicPartitionOffset> offsets) => _consumer.Commit(offsets);

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                ConsumeResult<byte[]?, byte[]?>? record;
                try
                {
                    record = _consumer.Consume(PollTimeout);
                }
                catch (ConsumeException ex)
                {
                    _logger.LogWarning("Kafka consumer {ClientId} could not read: {Reason}", ClientId, ex.Error.Reason);
                    continue;
                }
                ResumeReady();
                Volatile.Write(ref _pausedCount, _paused.Count);
                if (record is null || record.IsPartitionEOF) continue;
                Dispatch(record);
            }
            // Close revokes the assignment (the listener flushes) and leaves the group at once, so the
            // partitions move without waiting for the session to time out. A killed member does neither.
            if (!_killed) _consumer.Close();
            _completion.TrySetResult();
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "Kafka consumer {ClientId} stopped on an unexpected error", ClientId);
            _completion.TrySetException(ex);
        }
    }

    private void Dispatch(ConsumeResult<byte[]?, byte[]?> record)
    {
        var source = record.TopicPartitionOffset;
        // Fetched before the pause took effect: it is read again when the partition resumes.
        if (_paused.ContainsKey(source.TopicPartition)) return;
        if (!EventCodec.TryDecode(record.Message.Value, _rules, out var ev, out var error))
        {
            DeadLetter(record, error);
            return;
        }
        bool accepted;
        try
        {
            accepted = _listener.OnEvent(ev, source);
        }
        catch (Exception ex)
        {
            // A listener should not throw; if it does, the record is parked rather than lost or retried forever.
            _logger.LogError(ex, "Processing {Source} failed; sent to the dead-letter topic", source);
            DeadLetter(record, new DecodeError("processing-failed", $"{ex.GetType().Name}: {ex.Message}"));
            return;
        }
        if (!accepted) Pause(source);
    }

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> record, DecodeError reason)
    {
        if (!_listener.OnDeadLetter(reason, record.TopicPartitionOffset))
        {
            Pause(record.TopicPartitionOffset);
            return;
        }
        _logger.LogDebug("Dead letter {Source}: {Reason}", record.TopicPartitionOffset, reason);
        _deadLetters.Send(record, reason);
    }

    /// <summary>Stops fetching the partition; it resumes from this record when the listener is ready.</summary>
    private void Pause(TopicPartitionOffset at)
    {
        _consumer.Pause([at.TopicPartition]);
        _paused[at.TopicPartition] = at.Offset.Value;
    }

    /// <summary>Resumes the paused partitions the listener is ready for, each from where the listener says.</summary>
    private void ResumeReady()
    {
        if (_rebalanced)
        {
            _rebalanced = false;
            var assignment = _consumer.Assignment;
            // A partition we paused before the rebalance and hold again must not stay paused, and must read from its
            // new start, not from where it was paused. Other partitions are left alone: resuming a partition that
            // was never paused can make librdkafka fetch its first records twice.
            foreach (var tp in assignment.Where(tp => _pausedBeforeRebalance.Contains(tp) && !_paused.ContainsKey(tp)))
            {
                _consumer.Resume([tp]);
                if (_assignedAt.TryGetValue(tp, out var start) && start != Offset.Unset) _consumer.Seek(new TopicPartitionOffset(tp, start));
            }
            _pausedBeforeRebalance.Clear();
            var waiting = assignment.Where(_paused.ContainsKey).ToList();
            if (waiting.Count > 0) _consumer.Pause(waiting);
        }
        if (_paused.Count == 0 || Environment.TickCount64 - _resumeCheckedAt < 5) return;
        _resumeCheckedAt = Environment.TickCount64;
        foreach (var (tp, pausedAt) in _paused.ToList())
        {
            if (_listener.ResumeFrom(tp, pausedAt) is not { } offset) continue;
            _paused.Remove(tp);
            // Resume first: librdkafka resumes from the last position handed out, so the seek must come after it.
            _consumer.Resume([tp]);
            _consumer.Seek(new TopicPartitionOffset(tp, new Offset(offset)));
        }
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        _logger.LogInformation("{ClientId} assigned {Partitions}", ClientId, string.Join(",", partitions.Select(p => p.Partition.Value)));
        _rebalanced = true;
        var start = _listener.OnAssigned(partitions).ToList();
        _assignedAt.Clear();
        foreach (var tpo in start) _assignedAt[tpo.TopicPartition] = tpo.Offset;
        // A partition the listener could not open yet (its store is down) waits, paused, for ResumeFrom.
        foreach (var tpo in start.Where(s => s.Offset == Offset.Unset)) _paused[tpo.TopicPartition] = Offset.Unset.Value;
        return start;
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions)
    {
        _logger.LogInformation("{ClientId} revoked {Partitions}", ClientId, string.Join(",", partitions.Select(p => p.Partition.Value)));
        _deadLetters.Flush(DeadLetterFlushTimeout);
        Forget(partitions);
        _listener.OnRevoked(partitions.Select(p => p.TopicPartition).ToList());
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        _logger.LogWarning("{ClientId} lost {Partitions}", ClientId, string.Join(",", partitions.Select(p => p.Partition.Value)));
        Forget(partitions);
        _listener.OnLost(partitions.Select(p => p.TopicPartition).ToList());
    }

    /// <summary>Partitions leaving: no longer ours to resume, but remembered in case they come back paused.</summary>
    private void Forget(List<TopicPartitionOffset> partitions)
    {
        foreach (var p in partitions)
            if (_paused.Remove(p.TopicPartition)) _pausedBeforeRebalance.Add(p.TopicPartition);
    }

    private static LogLevel ToLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>Releases the client. Without <see cref="StopAsync"/> first, this is an abrupt exit that leaves the group by timeout.</summary>
    public void Dispose()
    {
        _stopping = true;
        _thread?.Join();
        if (!_killed) _consumer.Dispose();
    }
}
