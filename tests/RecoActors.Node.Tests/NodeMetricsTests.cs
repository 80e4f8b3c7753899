namespace RecoActors.Node.Tests;

/// <summary>The latency percentiles a node reports over its latest recommendations.</summary>
public sealed class NodeMetricsTests
{
    [Fact]
    public void Percentiles_cover_only_the_latest_values_once_the_ring_has_wrapped()
    {
        // Ten slots, 25 values written in turn: 1..25, so the ring holds 16..25 and 21..25 are the latest five.
        var ring = new double[10];
        for (var n = 1; n <= 25; n++) ring[(n - 1) % ring.Length] = n;

        Assert.Equal((23.0, 25.0, 25.0, 5), NodeMetrics.Percentiles(ring, 25, latest: 5));
        Assert.Equal((20.0, 25.0, 25.0, 10), NodeMetrics.Percentiles(ring, 25, latest: int.MaxValue));
        Assert.Equal((7.0, 7.0, 7.0, 1), NodeMetrics.Percentiles([7.0, 0, 0], 1, latest: 5));
        Assert.Null(NodeMetrics.Percentiles(ring, 0, latest: 5));
        Assert.Null(NodeMetrics.Percentiles(ring, 25, latest: 0));
    }
}
