using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;

namespace RecoActors.Node.Http;

/// <summary>
/// Cluster Bootstrap's contact point on the management port, <c>GET /bootstrap/seed-nodes</c>: this node's address and
/// the cluster members it sees Up (none while it is in no cluster), in the JSON Akka.Management's own route answers
/// with (its types, Newtonsoft), which is what the other nodes' bootstrap probes parse.
/// </summary>
internal static class ContactPointApi
{
    /// <summary>The bootstrap's route.</summary>
    public const string Path = "/bootstrap/seed-nodes";

    /// <summary>Routes every request arriving on <paramref name="managementPort"/> here.</summary>
    public static void Map(WebApplication app, int managementPort) =>
        app.MapWhen(context => context.Connection.LocalPort == managementPort, branch => branch.Run(AnswerAsync));

    private static async Task AnswerAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != Path)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var cluster = Cluster.Get(context.RequestServices.GetRequiredService<ActorSystem>());
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonConvert.SerializeObject(SeedNodes(cluster)), context.RequestAborted);
    }

    /// <summary>What the route answers: as Akka.Management's <c>HttpClusterBootstrapRoutes</c>.</summary>
    internal static HttpBootstrapJsonProtocol.SeedNodes SeedNodes(Cluster cluster)
    {
        var self = cluster.SelfMember;
        // A member on its way out is no contact to join through.
        if (self.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed)
            return new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, []);
        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles));
        return new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, [.. members]);
    }
}
