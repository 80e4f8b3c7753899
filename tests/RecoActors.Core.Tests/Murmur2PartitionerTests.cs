using System.Text;

namespace RecoActors.Core.Tests;

public class Murmur2PartitionerTests
{
    // Expected values from Apache Kafka's UtilsTest.testMurmur2.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Hash_matches_the_java_client(string key, int expected) =>
        Assert.Equal(expected, Murmur2Partitioner.Hash(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void Partition_is_in_range_for_long_and_non_ascii_keys()
    {
        foreach (var key in new[] { "", "é", new string('z', 1000), "用户-7" })
        {
            var p = Murmur2Partitioner.Partition(key, 12);
            Assert.InRange(p, 0, 11);
            Assert.Equal(p, Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(key), 12));
        }
    }
}
