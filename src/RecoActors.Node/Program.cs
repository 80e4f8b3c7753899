using System.CommandLine;
using RecoActors.Node.Cli;

var root = new RootCommand("RecoActors: an actor-based streaming recommender on Kafka.")
{
    ServeCommand.Create(),
    DemoCommand.Create(),
    DevKafkaCommand.Create(),
    ProduceCommand.Create(),
    RecommendCommand.Create(),
    SegmentsCommand.Create(),
    EvalCommand.Create(),
    EmbedCommand.Create(),
    BenchCommand.Create(),
};
// The node's host handles SIGTERM itself (a graceful hand-off can take longer than a fixed timeout).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
