// A .NET service asking a RecoActors cluster for recommendations with actor messages: it joins the cluster as a
// client (no users live here) and asks through a shard region proxy, so each request goes to the node that hosts
// the user. Usage:
//   dotnet run --project src/RecoActors.Client.Sample -- <seed host:port> <user> [<user> ...]
// RECO_CLIENT_HOSTNAME is the address the nodes reach this program at (default 127.0.0.1).
using RecoActors.Protocol;

if (args is not [var seed, .. var users] || users.Length == 0)
{
    Console.Error.WriteLine("usage: RecoActors.Client.Sample <seed host:port> <user> [<user> ...]");
    return 2;
}

var options = new RecommendationClientOptions
{
    Cluster = new ClusterOptions
    {
        Hostname = Environment.GetEnvironmentVariable("RECO_CLIENT_HOSTNAME") ?? "127.0.0.1",
        Port = 0,
        SeedNodes = [seed],
    },
    Timeout = TimeSpan.FromSeconds(10),
};
await using var client = await RecommendationClient.ConnectAsync(options);
foreach (var user in users)
{
    try
    {
        var answer = await client.RecommendAsync(user, 5);
        var how = answer.ColdStart ? "cold start" : $"{answer.EventsApplied} events";
        Console.WriteLine($"{answer.UserId} @{answer.Node} v{answer.ModelVersion} ({how}): {string.Join(' ', answer.Items.Select(i => i.ItemId))}");
    }
    catch (TimeoutException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
}
return 0;
