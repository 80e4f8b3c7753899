using System.CommandLine;
using RecoActors.Node.Hosting;

namespace RecoActors.Node.Cli;

/// <summary><c>reco serve</c>: one node with its HTTP API, until SIGTERM or Ctrl+C; then it hands its partitions over and exits.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve",
            "Run a node: consume the events topic in the consumer group, serve the HTTP API, hand partitions over on SIGTERM. " +
            "Settings come from appsettings.json, RECO__SECTION__KEY environment variables and --Reco:Section:Key=value arguments.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async parse =>
        {
            NodeServer server;
            try
            {
                server = await NodeServer.StartAsync([.. parse.UnmatchedTokens]);
            }
            catch (ConfigurationException ex)
            {
                Console.Error.WriteLine($"reco serve: {ex.Message}");
                return 2;
            }
            catch (InvalidOperationException ex)
            {
                Console.Error.WriteLine($"reco serve: cannot start: {ex.Message}");
                return 1;
            }
            await server.ShutdownRequested;
            await server.DisposeAsync();
            return 0;
        });
        return command;
    }
}
