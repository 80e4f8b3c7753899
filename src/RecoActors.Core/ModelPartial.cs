using System.Runtime.CompilerServices;

namespace RecoActors.Core;

/// <summary>
/// What one stream (a partition, over one batch) adds to the global model: per-segment sums of profile points,
/// and forward-decayed item scores per segment, item popularity and collaborative item vectors.
/// Partials combine by summation, so the merged model does not depend on the order they arrive in.
/// </summary>
/// <remarks>
/// Forward decay: an amount w at time t is stored as w·2^((t − epoch)/halfLife). Every later decay is then a
/// common factor, so sums from any streams add up without touching old entries.
/// </remarks>
public sealed class ModelPartial
{
    internal readonly double[] PointSums;
    internal readonly double[] PointCounts;
    internal readonly Dictionary<int, double>[] SegmentItems;
    internal readonly Dictionary<int, double> Popularity = [];
    internal readonly Dictionary<int, float[]> Collaborative = [];
    internal readonly Dictionary<int, double> Positives = [];
    internal readonly Dictionary<int, double>[] SegmentPositives;
    internal readonly List<(int Earlier, int Later, double Weight, int Segment)> CoVisits = [];
    internal readonly List<FusionExample> Examples = [];

    // Collaborative rows of a reset partial, zeroed and kept for the items of the next batch.
    private readonly Stack<float[]> _spareRows = new();

    /// <summary>Creates an empty partial against a snapshot's epoch.</summary>
    public ModelPartial(int segments, int dimension, long epoch)
    {
        Segments = segments;
        Dimension = dimension;
        Epoch = epoch;
        PointSums = new double[segments * dimension];
        PointCounts = new double[segments];
        SegmentItems = new Dictionary<int, double>[segments];
        SegmentPositives = new Dictionary<int, double>[segments];
        for (var k = 0; k < segments; k++) (SegmentItems[k], SegmentPositives[k]) = ([], []);
    }

    /// <summary>Number of segments.</summary>
    public int Segments { get; }

    /// <summary>Vector dimension.</summary>
    public int Dimension { get; }

    /// <summary>
    /// The forward-decay reference time (epoch ms) amounts are stored against: the snapshot's, or, before the
    /// model has one, the first event's time rounded down to a whole half-life.
    /// </summary>
    public long Epoch { get; private set; }

    /// <summary>Newest event time added, or <see cref="long.MinValue"/>.</summary>
    public long MaxTimestamp { get; private set; } = long.MinValue;

    /// <summary>Number of events added.</summary>
    public long Events { get; private set; }

    /// <summary>Whether nothing was added.</summary>
    public bool IsEmpty => Events == 0;

    /// <summary>
    /// Empties this partial for the next batch, against <paramref name="epoch"/>, keeping what it has grown
    /// (tables and rows), so a stream that folds every few hundred milliseconds does not reallocate them each time.
    /// </summary>
    /// <remarks>Only once nothing reads it any more: a partial that was folded or encoded is free to reuse.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Reset(long epoch)
    {
        Array.Clear(PointSums);
        Array.Clear(PointCounts);
        foreach (var items in SegmentItems) items.Clear();
        foreach (var positives in SegmentPositives) positives.Clear();
        Popularity.Clear();
        foreach (var row in Collaborative.Values)
        {
            Array.Clear(row);
            _spareRows.Push(row);
        }
        Collaborative.Clear();
        Positives.Clear();
        CoVisits.Clear();
        Examples.Clear();
        Epoch = epoch;
        MaxTimestamp = long.MinValue;
        Events = 0;
    }

    private float[] CollaborativeRow(int item)
    {
        if (!Collaborative.TryGetValue(item, out var row))
            Collaborative[item] = row = _spareRows.TryPop(out var spare) ? spare : new float[Dimension];
        return row;
    }

    internal void Restore(long maxTimestamp, long events)
    {
        MaxTimestamp = maxTimestamp;
        Events = events;
    }

    /// <summary>Adds a user's unit profile as a point of segment <paramref name="segment"/>.</summary>
    public void AddPoint(int segment, ReadOnlySpan<float> point)
    {
        var sums = PointSums.AsSpan(segment * Dimension, Dimension);
        for (var i = 0; i < sums.Length; i++) sums[i] += point[i];
        PointCounts[segment] += 1;
    }

    /// <summary>Adds an interaction with <paramref name="item"/> by a user of <paramref name="segment"/> (−1: none).</summary>
    /// <param name="segment">The user's segment, or −1.</param>
    /// <param name="item">The item's index.</param>
    /// <param name="weight">The interest shown (≥ 0 counts; 0 adds only to popularity).</param>
    /// <param name="timestamp">Event time, epoch ms.</param>
    /// <param name="halfLifeMs">The model's half-life.</param>
    /// <param name="profile">The user's unit profile before this event (empty: none), added to the item's collaborative key vector.</param>
    public void AddInteraction(int segment, int item, double weight, long timestamp, long halfLifeMs, ReadOnlySpan<float> profile)
    {
        if (Epoch == long.MinValue) Epoch = Math.Max(0, timestamp) / halfLifeMs * halfLifeMs;
        var forward = double.Exp2((double)(timestamp - Epoch) / halfLifeMs);
        Popularity[item] = Popularity.GetValueOrDefault(item) + forward;
        if (weight > 0)
        {
            if (segment >= 0) SegmentItems[segment][item] = SegmentItems[segment].GetValueOrDefault(item) + weight * forward;
            if (!profile.IsEmpty)
            {
                Vectors.AddScaled(CollaborativeRow(item), profile, (float)(weight * forward));
            }
        }
        if (timestamp > MaxTimestamp) MaxTimestamp = timestamp;
        Events++;
    }

    /// <summary>
    /// Adds a positive event on <paramref name="item"/> by a user of <paramref name="segment"/> (−1: none) whose latest
    /// positive items were <paramref name="recent"/>: one co-visitation per pair, and one positive count, for the whole
    /// model and for the segment's own. Pairs are only appended here; they are summed when the batch is folded in.
    /// </summary>
    public void AddCoVisits(int segment, RecentItems recent, int item, int window, long timestamp, long halfLifeMs)
    {
        ArgumentNullException.ThrowIfNull(recent);
        if (Epoch == long.MinValue) Epoch = Math.Max(0, timestamp) / halfLifeMs * halfLifeMs;
        var forward = double.Exp2((double)(timestamp - Epoch) / halfLifeMs);
        Positives[item] = Positives.GetValueOrDefault(item) + forward;
        if (segment >= 0) SegmentPositives[segment][item] = SegmentPositives[segment].GetValueOrDefault(item) + forward;
        for (var i = 0; i < Math.Min(window, recent.Count); i++)
        {
            var earlier = recent.Newest(i);
            if (earlier != item) CoVisits.Add((earlier, item, forward, segment));
        }
    }

    /// <summary>
    /// Adds an example the fusion weights learn from: a user whose unit profile was <paramref name="unit"/> and whose
    /// latest positive items were <paramref name="recent"/> (at most <paramref name="anchors"/> of them kept) took
    /// <paramref name="item"/>.
    /// </summary>
    public void AddExample(ReadOnlySpan<float> unit, RecentItems recent, int anchors, SeenItems seen, int item)
    {
        ArgumentNullException.ThrowIfNull(recent);
        ArgumentNullException.ThrowIfNull(seen);
        var kept = new int[Math.Min(anchors, recent.Count)];
        for (var i = 0; i < kept.Length; i++) kept[i] = recent.Newest(i);
        var newest = new int[Math.Min(FusionExample.SeenKept, seen.Count)];
        seen.CopyNewest(newest);
        Examples.Add(new FusionExample(unit.ToArray(), kept, newest, item));
    }

    /// <summary>Adds another partial into this one (sums); amounts at another epoch are rescaled to this one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MergeFrom(ModelPartial other, long halfLifeMs)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Segments != Segments || other.Dimension != Dimension)
            throw new ArgumentException("partials of different shapes cannot merge", nameof(other));
        if (other.IsEmpty) return;
        if (Epoch == long.MinValue) Epoch = other.Epoch;
        var scale = double.Exp2((double)(other.Epoch - Epoch) / halfLifeMs);
        for (var i = 0; i < PointSums.Length; i++) PointSums[i] += other.PointSums[i];
        for (var k = 0; k < Segments; k++)
        {
            PointCounts[k] += other.PointCounts[k];
            foreach (var (item, s) in other.SegmentItems[k])
                SegmentItems[k][item] = SegmentItems[k].GetValueOrDefault(item) + s * scale;
            foreach (var (item, s) in other.SegmentPositives[k])
                SegmentPositives[k][item] = SegmentPositives[k].GetValueOrDefault(item) + s * scale;
        }
        foreach (var (item, s) in other.Popularity) Popularity[item] = Popularity.GetValueOrDefault(item) + s * scale;
        foreach (var (item, v) in other.Collaborative)
        {
            Vectors.AddScaled(CollaborativeRow(item), v, (float)scale);
        }
        foreach (var (item, s) in other.Positives) Positives[item] = Positives.GetValueOrDefault(item) + s * scale;
        foreach (var (a, b, w, segment) in other.CoVisits) CoVisits.Add((a, b, w * scale, segment));
        Examples.AddRange(other.Examples);
        if (other.MaxTimestamp > MaxTimestamp) MaxTimestamp = other.MaxTimestamp;
        Events += other.Events;
    }
}

/// <summary>A positive event as the fusion weights learn from it: the user's unit profile and latest positive items (newest first) before it, and its item.</summary>
/// <param name="Unit">The user's unit profile before the event.</param>
/// <param name="Anchors">The user's latest positive items before the event, newest first.</param>
/// <param name="Seen">The user's newest seen items before the event, newest first (at most <see cref="SeenKept"/>).</param>
/// <param name="Item">The item taken.</param>
public sealed record FusionExample(float[] Unit, int[] Anchors, int[] Seen, int Item)
{
    /// <summary>How many of the user's newest seen items an example keeps (never ranked, so never the items to beat).</summary>
    public const int SeenKept = 64;
}
