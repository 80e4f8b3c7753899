using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;
using Akka.Discovery;
using Akka.Event;
using AkkaConfig = Akka.Configuration.Config;

namespace RecoActors.Node.Hosting;

/// <summary>
/// Akka discovery over the Kubernetes API: the pods of the configured label selector in the pod's namespace that are
/// running and not being deleted, each as its IP and the container port of the looked-up name. Cluster Bootstrap takes
/// these as its contact points.
/// </summary>
/// <remarks>
/// Akka.Discovery.KubernetesApi does the same, but cannot run here: 1.5.73 was built against KubernetesClient 17,
/// only 19 is served, and its <c>Lookup</c> fails with a <see cref="MissingMethodException"/> (a changed
/// <c>V1PodList</c> constructor). One GET of the pod list needs no client library: the service account's token (read
/// at every lookup, since Kubernetes rotates it), its CA certificate for the API server's TLS, and its namespace.
/// </remarks>
public sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    /// <summary>The discovery's name, as <c>akka.discovery.method</c>.</summary>
    public const string Method = "reco-kubernetes";

    /// <summary>Where the discovery's settings live.</summary>
    public const string ConfigPath = "akka.discovery." + Method;

    private readonly ILoggingAdapter _log;
    // For the actor system's life: Akka keeps a discovery until it terminates and never disposes it.
    private readonly HttpClient _http;
    private readonly string _labelSelector;
    private readonly string? _namespace;
    private readonly string _namespacePath;
    private readonly string _tokenPath;
    private readonly string _hostVariable;
    private readonly string _portVariable;

    /// <summary>Reads the settings at <see cref="ConfigPath"/>.</summary>
    public KubernetesPodDiscovery(ExtendedActorSystem system) : this(system, system.Settings.Config.GetConfig(ConfigPath))
    {
    }

    /// <summary>Reads the settings from <paramref name="config"/>.</summary>
    public KubernetesPodDiscovery(ExtendedActorSystem system, AkkaConfig config)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(config);
        _log = Logging.GetLogger(system, typeof(KubernetesPodDiscovery));
        _labelSelector = config.GetString("pod-label-selector");
        _namespace = config.GetString("pod-namespace") is { Length: > 0 } ns ? ns : null;
        _namespacePath = config.GetString("pod-namespace-path");
        _tokenPath = config.GetString("api-token-path");
        _hostVariable = config.GetString("api-service-host-env-name");
        _portVariable = config.GetString("api-service-port-env-name");
        _http = new HttpClient(Handler(config.GetString("api-ca-path")));
    }

    /// <summary>The HOCON of this discovery, as <c>akka.discovery.method</c>, for pods matching <paramref name="labelSelector"/>.</summary>
    public static string Hocon(string labelSelector, string? podNamespace) => $$"""
        akka.discovery.method = {{Method}}
        {{ConfigPath}} {
          class = {{Protocol.ClusterConfig.Quote(typeof(KubernetesPodDiscovery).AssemblyQualifiedName!)}}
          pod-label-selector = {{Protocol.ClusterConfig.Quote(labelSelector)}}
          pod-namespace = {{Protocol.ClusterConfig.Quote(podNamespace ?? "")}}
          pod-namespace-path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
          api-token-path = "/var/run/secrets/kubernetes.io/serviceaccount/token"
          api-ca-path = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
          api-service-host-env-name = KUBERNETES_SERVICE_HOST
          api-service-port-env-name = KUBERNETES_SERVICE_PORT
        }
        """;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No API server to ask, or it refused or failed the request (the sentence says which).</exception>
    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        var host = Environment.GetEnvironmentVariable(_hostVariable);
        var port = Environment.GetEnvironmentVariable(_portVariable);
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(port))
            throw new InvalidOperationException($"no Kubernetes API server to ask: {_hostVariable} and {_portVariable} are not both set (is this a pod?)");
        var podNamespace = _namespace ?? (await File.ReadAllTextAsync(_namespacePath).ConfigureAwait(false)).Trim();
        var url = $"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}/api/v1/namespaces/{Uri.EscapeDataString(podNamespace)}/pods" +
            $"?labelSelector={Uri.EscapeDataString(_labelSelector)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(_tokenPath).ConfigureAwait(false)).Trim());
        using var timeout = new CancellationTokenSource(resolveTimeout);
        using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Forbidden)
            throw new InvalidOperationException($"the service account may not list pods in namespace '{podNamespace}': give it a Role with get/watch/list on pods (k8s/base/rbac.yaml)");
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the Kubernetes API answered {(int)response.StatusCode} to the pod list of '{podNamespace}': {body[..Math.Min(body.Length, 300)]}");
        using var pods = JsonDocument.Parse(body);
        var targets = Targets(pods.RootElement, lookup.PortName).ToList();
        if (targets.Count == 0)
            _log.Warning("No running pod in namespace [{0}] has the labels [{1}] and a port named [{2}]", podNamespace, _labelSelector, lookup.PortName);
        return new Resolved(lookup.ServiceName, targets);
    }

    /// <summary>
    /// The contact points in a pod list: pods running and not being deleted, with an IP, by IP and the port named
    /// <paramref name="portName"/> (a pod without one is left out; no name: no port).
    /// </summary>
    public static IEnumerable<ResolvedTarget> Targets(JsonElement podList, string? portName)
    {
        foreach (var pod in podList.GetProperty("items").EnumerateArray())
        {
            if (pod.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind != JsonValueKind.Null)
                continue;
            if (!pod.TryGetProperty("status", out var status) || Text(status, "phase") != "Running" || Text(status, "podIP") is not { Length: > 0 } ip)
                continue;
            int? port = null;
            if (!string.IsNullOrEmpty(portName))
            {
                port = pod.GetProperty("spec").GetProperty("containers").EnumerateArray()
                    .SelectMany(c => c.TryGetProperty("ports", out var ports) ? ports.EnumerateArray() : Enumerable.Empty<JsonElement>())
                    .Where(p => Text(p, "name") == portName)
                    .Select(p => (int?)p.GetProperty("containerPort").GetInt32())
                    .FirstOrDefault();
                if (port is null) continue;
            }
            yield return new ResolvedTarget(ip, port, IPAddress.Parse(ip));
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>TLS that trusts the API server's certificate when the service account's CA signed it.</summary>
    private static SocketsHttpHandler Handler(string caPath)
    {
        var handler = new SocketsHttpHandler();
        if (!File.Exists(caPath)) return handler;
        var authority = X509CertificateLoader.LoadCertificateFromFile(caPath);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        return handler;
    }
}
