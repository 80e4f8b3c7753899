using System.CommandLine;
using RecoActors.Node.Hosting;

namespace RecoActors.Node.Cli;

/// <summary>
/// <c>reco serve</c>: one node with its HTTP API, until SIGTERM or Ctrl+C; then it hands its shards off and exits 0.
/// A node the cluster downed (the split-brain resolver's minority) exits 3, for its supervisor (Kubernetes) to start it
/// again as a new member.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The exit code of a node the cluster downed.</summary>
    public const int DownedExitCode = 3;

    public static Command Create()
    {
        var command = new Command("serve",
            "Run a node: join the Akka cluster, read the events topic's partitions whose shards it hosts, serve the HTTP API, " +
            "hand its shards off on SIGTERM. " +
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
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or Akka.Remote.RemoteTransportException)
            {
                Console.Error.WriteLine($"reco serve: cannot start: {ex.Message}");
                return 1;
            }
            await server.ShutdownRequested;
            await server.DisposeAsync();
            if (server.Failure is not { } failure) return 0;
            Console.Error.WriteLine($"reco serve: {failure}; exiting with code {DownedExitCode} to be started again");
            return DownedExitCode;
        });
        return command;
    }
}
