using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Discovery;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RecoActors.Node.Hosting;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>
/// The node's Kubernetes discovery, configured from the manifests, against a stand-in API server that lists pods made
/// from the StatefulSet's own pod template: which contact points the bootstrap gets.
/// </summary>
public sealed class KubernetesDiscoveryTests
{
    private const string Namespace = "recommender";
    private const string Token = "service-account-token-7c1";

    [Fact]
    public async Task The_discovery_resolves_the_management_endpoints_of_the_running_node_pods_and_nothing_else()
    {
        var statefulSet = Manifests.Kustomize(Manifests.K8s).Single("StatefulSet");
        var template = statefulSet.At("spec.template").ToJson()!;
        var pods = new JsonArray(
            Pod(template, "reco-node-0", "Running", "10.0.0.10"),
            Pod(template, "reco-node-1", "Running", "10.0.0.11"),
            // Scheduled, not started: no IP yet.
            Pod(template, "reco-node-2", "Pending", null),
            // On its way out.
            Pod(template, "reco-node-3", "Running", "10.0.0.13", deleting: true),
            // Another application's pod in the namespace, with a port of the same name.
            Pod(JsonNode.Parse("""{"metadata":{"labels":{"app.kubernetes.io/name":"kafka"}},"spec":{"containers":[{"name":"kafka","ports":[{"name":"management","containerPort":9000}]}]}}""")!,
                "kafka-0", "Running", "10.0.0.20"));
        await using var api = await FakeKubernetesApi.StartAsync(pods);

        var container = statefulSet.At("spec.template.spec.containers").Items.Single();
        var (settings, errors) = Manifests.Bind(Manifests.Environment(container));
        Assert.Empty(errors);
        using var folder = new TempFolder();
        using var host = await StartSystemAsync(settings, api, folder);
        var system = host.Services.GetRequiredService<ActorSystem>();

        // What the bootstrap asks for: the service's contact points on the port named for management.
        var lookup = new Lookup(DiscoverySettings.ServiceName, DiscoverySettings.ManagementPortName, "tcp");
        var resolved = await Discovery.Get(system).Default.Lookup(lookup, TimeSpan.FromSeconds(10));

        var port = statefulSet.At("spec.template.spec.containers").Items.Single()["ports"].Items
            .Single(p => p["name"].String == DiscoverySettings.ManagementPortName)["containerPort"].Int;
        Assert.Equal(["10.0.0.10:" + port, "10.0.0.11:" + port], resolved.Addresses.Select(a => $"{a.Host}:{a.Port}").Order());
        var request = Assert.Single(api.Requests);
        Assert.Equal($"/api/v1/namespaces/{Namespace}/pods", request.Path);
        Assert.Equal(settings.Discovery.PodLabelSelector, request.LabelSelector);
        Assert.Equal($"Bearer {Token}", request.Authorization);
    }

    [Fact]
    public async Task A_service_account_without_the_role_or_an_API_server_of_another_authority_is_an_error_that_says_so()
    {
        await using var api = await FakeKubernetesApi.StartAsync([]);
        var statefulSet = Manifests.Kustomize(Manifests.K8s).Single("StatefulSet");
        var (settings, _) = Manifests.Bind(Manifests.Environment(statefulSet.At("spec.template.spec.containers").Items.Single()));
        var lookup = new Lookup(DiscoverySettings.ServiceName, DiscoverySettings.ManagementPortName, "tcp");

        using (var folder = new TempFolder())
        using (var host = await StartSystemAsync(settings, api, folder, token: "a-token-without-the-role"))
        {
            var forbidden = await Assert.ThrowsAsync<InvalidOperationException>(() => Discovery.Get(host.Services.GetRequiredService<ActorSystem>()).Default.Lookup(lookup, TimeSpan.FromSeconds(10)));
            Assert.Contains($"may not list pods in namespace '{Namespace}'", forbidden.Message);
            Assert.Contains("rbac.yaml", forbidden.Message);
        }

        using var other = FakeKubernetesApi.SelfSigned();
        using (var folder = new TempFolder())
        using (var host = await StartSystemAsync(settings, api, folder, authority: other))
        {
            var requests = api.Requests.Count;
            await Assert.ThrowsAsync<HttpRequestException>(() => Discovery.Get(host.Services.GetRequiredService<ActorSystem>()).Default.Lookup(lookup, TimeSpan.FromSeconds(10)));
            Assert.Equal(requests, api.Requests.Count);
        }
    }

    /// <summary>A pod as the StatefulSet controller makes it from <paramref name="template"/>, with a status.</summary>
    private static JsonObject Pod(JsonNode template, string name, string phase, string? ip, bool deleting = false)
    {
        var pod = template.DeepClone().AsObject();
        var metadata = pod["metadata"]!.AsObject();
        metadata["name"] = name;
        metadata["namespace"] = Namespace;
        if (deleting) metadata["deletionTimestamp"] = "2026-12-02T10:00:00Z";
        pod["status"] = new JsonObject { ["phase"] = phase, ["podIP"] = ip };
        return pod;
    }

    /// <summary>
    /// An actor system configured as a node's (<see cref="ClusterDiscovery"/>), with the service account's files (token,
    /// namespace, the CA that signed the API server's certificate) and the API server's address where a pod has them,
    /// here in a temporary folder and in variables of this test's own names.
    /// </summary>
    private static async Task<IHost> StartSystemAsync(RecoSettings settings, FakeKubernetesApi api, TempFolder folder, string token = Token, X509Certificate2? authority = null)
    {
        var tokenFile = folder.Write("token", token);
        var podNamespace = folder.Write("namespace", Namespace);
        var authorityFile = folder.Write("ca.crt", (authority ?? api.Certificate).ExportCertificatePem());
        Environment.SetEnvironmentVariable("RECO_TEST_KUBERNETES_HOST", "127.0.0.1");
        Environment.SetEnvironmentVariable("RECO_TEST_KUBERNETES_PORT", $"{api.Port}");
        var host = new HostBuilder().ConfigureServices(services => services.AddAkka("reco", akka => akka
            .WithClusterDiscovery(settings.Discovery, settings.Cluster)
            .AddHocon($$"""
                {{KubernetesPodDiscovery.ConfigPath}} {
                  api-token-path = {{Quote(tokenFile)}}
                  api-ca-path = {{Quote(authorityFile)}}
                  pod-namespace-path = {{Quote(podNamespace)}}
                  api-service-host-env-name = RECO_TEST_KUBERNETES_HOST
                  api-service-port-env-name = RECO_TEST_KUBERNETES_PORT
                }
                """, HoconAddMode.Prepend))).Build();
        await host.StartAsync();
        return host;
    }

    private static string Quote(string s) => RecoActors.Protocol.ClusterConfig.Quote(s);

    /// <summary>The pod-listing part of a Kubernetes API server, over HTTPS, filtering by equality label selectors.</summary>
    private sealed class FakeKubernetesApi : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeKubernetesApi(WebApplication app, int port, X509Certificate2 certificate)
        {
            _app = app;
            Port = port;
            Certificate = certificate;
        }

        public int Port { get; }

        /// <summary>The server's self-signed certificate: its own CA.</summary>
        public X509Certificate2 Certificate { get; }

        public ConcurrentQueue<(string Path, string? LabelSelector, string? Authorization)> Requests { get; } = new();

        public static async Task<FakeKubernetesApi> StartAsync(JsonArray pods)
        {
            var port = RecoProcess.FreePort();
            var certificate = SelfSigned();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(certificate)));
            var app = builder.Build();
            var api = new FakeKubernetesApi(app, port, certificate);
            app.MapGet("/api/v1/namespaces/{ns}/pods", (string ns, HttpRequest request) =>
            {
                string? selector = request.Query["labelSelector"];
                api.Requests.Enqueue((request.Path, selector, request.Headers.Authorization.ToString()));
                if (request.Headers.Authorization.ToString() != $"Bearer {Token}")
                    return Results.Text("""{"kind":"Status","status":"Failure","reason":"Forbidden","code":403}""", "application/json", statusCode: 403);
                var wanted = (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToList();
                var items = new JsonArray([.. pods.Where(p => p!["metadata"]!["namespace"]!.GetValue<string>() == ns
                    && wanted.All(w => p["metadata"]!["labels"]?[w[0]]?.GetValue<string>() == w[1])).Select(p => p!.DeepClone())]);
                var list = new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["items"] = items };
                return Results.Text(list.ToJsonString(), "application/json");
            });
            await app.StartAsync();
            return api;
        }

        public static X509Certificate2 SelfSigned()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=kubernetes", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            Certificate.Dispose();
        }
    }

    private sealed class TempFolder : IDisposable
    {
        private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("reco-k8s-");

        public string Write(string name, string text)
        {
            var path = Path.Combine(_folder.FullName, name);
            File.WriteAllText(path, text);
            return path;
        }

        public void Dispose() => _folder.Delete(recursive: true);
    }
}
