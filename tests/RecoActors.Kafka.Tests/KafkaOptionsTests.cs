namespace RecoActors.Kafka.Tests;

public class KafkaOptionsTests
{
    [Fact]
    public void Each_wrong_field_is_named()
    {
        var errors = new KafkaOptions { BootstrapServers = "nohost", GroupId = " ", SecurityProtocol = "tls" }.Validate();
        Assert.Contains(errors, e => e.StartsWith("Reco:Kafka:BootstrapServers"));
        Assert.Contains(errors, e => e.StartsWith("Reco:Kafka:GroupId"));
        Assert.Contains(errors, e => e.StartsWith("Reco:Kafka:SecurityProtocol"));
        Assert.Empty(new KafkaOptions { BootstrapServers = "127.0.0.1:9092" }.Validate());
    }
}
