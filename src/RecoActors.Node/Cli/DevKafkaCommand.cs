using System.CommandLine;
using RecoActors.Kafka;
using Spectre.Console;

namespace RecoActors.Node.Cli;

/// <summary><c>reco dev-kafka</c>: librdkafka's mock cluster as a development Kafka for people without one.</summary>
internal static class DevKafkaCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "Number of mock brokers.", DefaultValueFactory = _ => 3 };
        var topic = new Option<string>("--topic") { Description = "Events topic to create.", DefaultValueFactory = _ => "reco.events" };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of the events topic (the shard count).", DefaultValueFactory = _ => 12 };
        var command = new Command("dev-kafka", "Run an in-process mock Kafka cluster on 127.0.0.1 and print its bootstrap servers until stopped.")
        {
            brokers, topic, partitions,
        };
        command.SetAction(async (parse, cancel) =>
        {
            using var cluster = MockKafkaCluster.Start(parse.GetValue(brokers));
            var events = parse.GetValue(topic)!;
            var kafka = new KafkaOptions { EventsTopic = events, DeadLetterTopic = events + ".dlq" };
            cluster.CreateTopics(kafka, parse.GetValue(partitions));
            AnsiConsole.MarkupLineInterpolated(
                $"[green]mock Kafka ready[/]: topic [bold]{events}[/] ({parse.GetValue(partitions)} partitions), {kafka.DeadLetterTopic} and {kafka.PartialsTopic}");
            // Plain line last so scripts can read it.
            Console.WriteLine($"bootstrap.servers={cluster.BootstrapServers}");
            try { await Task.Delay(Timeout.Infinite, cancel); }
            catch (OperationCanceledException) { }
            return 0;
        });
        return command;
    }
}
