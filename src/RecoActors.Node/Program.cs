using System.CommandLine;
using RecoActors.Node.Cli;

var root = new RootCommand("RecoActors: an actor-based streaming recommender on Kafka.")
{
    DemoCommand.Create(),
    DevKafkaCommand.Create(),
    EvalCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
