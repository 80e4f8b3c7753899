using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace RecoActors.Node;

/// <summary>
/// Renders the node's meter in the Prometheus text format for <c>GET /metrics</c>: counters and gauges by their last
/// reading, histograms as cumulative buckets. Names take Prometheus' spelling (<c>reco.events.applied</c> →
/// <c>reco_events_applied_total</c>).
/// </summary>
public sealed class MetricsText : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _lock = new();
    private readonly SortedDictionary<string, Series> _series = new(StringComparer.Ordinal);

    private sealed class Series(Instrument instrument)
    {
        public Instrument Instrument { get; } = instrument;
        public Dictionary<string, double> Values { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Histogram> Histograms { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Histogram(IReadOnlyList<double> bounds)
    {
        public IReadOnlyList<double> Bounds { get; } = bounds;
        public long[] Counts { get; } = new long[bounds.Count + 1];
        public double Sum { get; set; }
    }

    /// <summary>Starts listening to the instruments of <paramref name="meterName"/>.</summary>
    public MetricsText(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments now and renders everything.</summary>
    public string Render()
    {
        lock (_lock)
        {
            // Gauges are re-read below: a partition that left must not keep its last lag.
            foreach (var series in _series.Values.Where(s => s.Instrument is ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double>))
                series.Values.Clear();
        }
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        lock (_lock)
        {
            foreach (var series in _series.Values)
            {
                var instrument = series.Instrument;
                var name = Name(instrument);
                var type = instrument switch
                {
                    Histogram<double> => "histogram",
                    ObservableCounter<long> or ObservableCounter<int> or Counter<long> => "counter",
                    _ => "gauge",
                };
                if (type == "counter") name += "_total";
                if (instrument.Description is { } help) text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                foreach (var (labels, value) in series.Values)
                    text.Append(name).Append(Braced(labels)).Append(' ').Append(Number(value)).Append('\n');
                foreach (var (labels, histogram) in series.Histograms)
                {
                    long cumulative = 0;
                    for (var b = 0; b <= histogram.Bounds.Count; b++)
                    {
                        cumulative += histogram.Counts[b];
                        var le = b < histogram.Bounds.Count ? Number(histogram.Bounds[b]) : "+Inf";
                        text.Append(name).Append("_bucket").Append(Braced(Join(labels, $"le=\"{le}\""))).Append(' ').Append(cumulative).Append('\n');
                    }
                    text.Append(name).Append("_sum").Append(Braced(labels)).Append(' ').Append(Number(histogram.Sum)).Append('\n');
                    text.Append(name).Append("_count").Append(Braced(labels)).Append(' ').Append(cumulative).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        lock (_lock)
        {
            if (!_series.TryGetValue(instrument.Name, out var series)) _series[instrument.Name] = series = new Series(instrument);
            switch (instrument)
            {
                case Histogram<double> h:
                    if (!series.Histograms.TryGetValue(labels, out var histogram))
                        series.Histograms[labels] = histogram = new Histogram(h.Advice?.HistogramBucketBoundaries ?? [1, 5, 10, 50, 100, 500, 1000]);
                    var bucket = 0;
                    while (bucket < histogram.Bounds.Count && value > histogram.Bounds[bucket]) bucket++;
                    histogram.Counts[bucket]++;
                    histogram.Sum += value;
                    break;
                case Counter<long>:
                    series.Values[labels] = series.Values.GetValueOrDefault(labels) + value;
                    break;
                default:
                    series.Values[labels] = value;
                    break;
            }
        }
    }

    private static string Name(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        return instrument.Unit switch
        {
            "ms" => name + "_milliseconds",
            _ => name,
        };
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var parts = new List<string>(tags.Length);
        foreach (var tag in tags)
            parts.Add($"{tag.Key}=\"{Convert.ToString(tag.Value, CultureInfo.InvariantCulture)?.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
        return string.Join(',', parts);
    }

    private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

    private static string Braced(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
