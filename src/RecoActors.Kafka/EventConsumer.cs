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

    /// <summary>The partitions this member holds now.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _consumer.Assignment;

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
                if (record is null || record.IsPartitionEOF)
                {
                    _listener.OnIdle();
                    continue;
                }
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
        if (!EventCodec.TryDecode(record.Message.Value, _rules, out var ev, out var error))
        {
            DeadLetter(record, error);
            return;
        }
        try
        {
            _listener.OnEvent(ev, source);
        }
        catch (Exception ex)
        {
            // A listener should not throw; if it does, the record is parked rather than lost or retried forever.
            _logger.LogError(ex, "Processing {Source} failed; sent to the dead-letter topic", source);
            DeadLetter(record, new DecodeError("processing-failed", $"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> record, DecodeError reason)
    {
        _logger.LogDebug("Dead letter {Source}: {Reason}", record.TopicPartitionOffset, reason);
        _deadLetters.Send(record, reason);
        _listener.OnDeadLetter(reason, record.TopicPartitionOffset);
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        _logger.LogInformation("{ClientId} assigned {Partitions}", ClientId, string.Join(",", partitions.Select(p => p.Partition.Value)));
        return _listener.OnAssigned(partitions).ToList();
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions)
    {
        _logger.LogInformation("{ClientId} revoked {Partitions}", ClientId, string.Join(",", partitions.Select(p => p.Partition.Value)));
        _deadLetters.Flush(DeadLetterFlushTimeout);
        _listener.OnRevoked(partitions.Select(p => p.TopicPartition).ToList());
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        _logger.LogWarning("{ClientId} lost {Partitions}", ClientId, string.Join(",", partitions.Select(p => p.Partition.Value)));
        _listener.OnLost(partitions.Select(p => p.TopicPartition).ToList());
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
