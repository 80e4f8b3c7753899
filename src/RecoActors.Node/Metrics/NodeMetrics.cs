using System.Diagnostics;
using System.Diagnostics.Metrics;
using RecoActors.Node.Hosting;

namespace RecoActors.Node;

/// <summary>
/// The node's instruments (meter <c>RecoActors.Node</c>): events applied and their rate, lag per partition, resident
/// users, partitions running here, recommendation latency, dead letters, records on the wrong partition, store failures. Exported over OTLP when configured and as text at <c>/metrics</c>.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "RecoActors.Node";

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _recommendation;
    private readonly object _rateLock = new();
    private long _rateApplied;
    private long _rateAt = Stopwatch.GetTimestamp();
    private double _rate;
    // The latest recommendation latencies, for the dashboard's percentiles: a ring overwritten in turn.
    private readonly double[] _recent = new double[4096];
    private long _recommendations;

    /// <summary>Instruments reading <paramref name="node"/>.</summary>
    public NodeMetrics(RecoNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var context = node.Context;
        _meter.CreateObservableCounter("reco.events.applied", () => context.Applied, "{event}", "Events applied to profiles by this node");
        _meter.CreateObservableGauge("reco.events.rate", () => Rate(context.Applied), "{event}/s", "Events applied per second since the last reading");
        _meter.CreateObservableCounter("reco.dead_letters", () => node.DeadLetters, "{record}", "Records sent to the dead-letter topic");
        _meter.CreateObservableCounter("reco.wrong_partition", () => node.WrongPartition, "{record}",
            "Records that arrived on another partition than their user's (a producer not using murmur2); dead-lettered");
        _meter.CreateObservableCounter("reco.store.failures", () => context.StoreTrouble.Failures, "{failure}", "Failed writes and recoveries of the store");
        _meter.CreateObservableGauge("reco.partitions.running", () => context.Progress.Count(p => p.Running), "{partition}", "Partitions whose actors run on this node");
        _meter.CreateObservableGauge("reco.users.resident", () => context.Residents.Count, "{user}", "Users held in memory");
        _meter.CreateObservableGauge("reco.partition.lag", () => node.Lag().Select(l => new Measurement<long>(l.Lag,
            new KeyValuePair<string, object?>("partition", l.Partition))), "{record}", "Records produced but not yet applied, per held partition");
        _meter.CreateObservableGauge("reco.model.version", () => node.Model.Current.Version, null, "Version of the model snapshot");
        _recommendation = _meter.CreateHistogram<double>("reco.recommendation.duration", "ms", "Time to read one user and rank its items",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000] });
    }

    /// <summary>Recommendations computed here since the node started.</summary>
    public long Recommendations => Interlocked.Read(ref _recommendations);

    /// <summary>Records one recommendation computed here.</summary>
    public void RecordRecommendation(TimeSpan elapsed)
    {
        _recommendation.Record(elapsed.TotalMilliseconds);
        var n = Interlocked.Increment(ref _recommendations);
        _recent[(n - 1) % _recent.Length] = elapsed.TotalMilliseconds;
    }

    /// <summary>Percentiles (ms) of the latest recommendations (up to 4,096, and at most <paramref name="latest"/>), or null before any.</summary>
    public (double P50, double P95, double P99, int Of)? LatencyPercentiles(int latest = int.MaxValue) =>
        Percentiles(_recent, Recommendations, latest);

    /// <summary>
    /// Percentiles of the latest <paramref name="latest"/> values of a ring to which <paramref name="written"/> values
    /// have been written in turn (the n-th, from 1, into slot (n − 1) mod its length); null when there are none.
    /// </summary>
    internal static (double P50, double P95, double P99, int Of)? Percentiles(double[] ring, long written, int latest)
    {
        var count = (int)Math.Min(Math.Min(written, ring.Length), Math.Max(0, latest));
        if (count == 0) return null;
        var sorted = new double[count];
        for (var i = 0; i < count; i++) sorted[i] = ring[(written - 1 - i) % ring.Length];
        Array.Sort(sorted);
        double At(double q) => sorted[Math.Min(count - 1, (int)Math.Ceiling(q * count) - 1)];
        return (At(0.50), At(0.95), At(0.99), count);
    }

    private double Rate(long applied)
    {
        lock (_rateLock)
        {
            var seconds = Stopwatch.GetElapsedTime(_rateAt).TotalSeconds;
            if (seconds < 0.5) return _rate;
            _rate = (applied - _rateApplied) / seconds;
            _rateApplied = applied;
            _rateAt = Stopwatch.GetTimestamp();
            return _rate;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
