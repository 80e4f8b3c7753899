using System.Text.RegularExpressions;
using System.Xml.Linq;
using RecoActors.Node.Hosting;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>The Kubernetes manifests, the compose file and the Dockerfile, checked against the application itself.</summary>
public sealed class ManifestTests
{
    private static readonly IReadOnlyList<Yaml> Objects = Manifests.Kustomize(Manifests.K8s);
    private static readonly Yaml StatefulSet = Objects.Single("StatefulSet");
    private static readonly Yaml PodSpec = StatefulSet.At("spec.template.spec");
    private static readonly Yaml Node = PodSpec["containers"].Items.Single();
    private static readonly Dictionary<string, string> NodeEnvironment = Manifests.Environment(Node);

    private static Yaml Compose => Yaml.Load(Path.Combine(Manifests.Deploy, "docker-compose.yml")).Single();

    private static IEnumerable<(string Name, Yaml Service)> ComposeNodes =>
        Compose["services"].Entries.Where(s => s.Value.At("build.dockerfile").String == "deploy/Dockerfile");

    [Fact]
    public void The_kustomization_lists_every_manifest_in_its_folder()
    {
        foreach (var folder in new[] { Manifests.K8s, Manifests.Base, Path.Combine(Manifests.K8s, "autoscaling") })
        {
            var listed = Yaml.Load(Path.Combine(folder, "kustomization.yaml")).Single()["resources"].Items.Select(r => r.String!).ToHashSet();
            var present = Directory.GetFiles(folder, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");
            Assert.All(present, file => Assert.Contains(file!, listed));
            Assert.All(listed, r => Assert.True(File.Exists(Path.Combine(folder, r)) || Directory.Exists(Path.Combine(folder, r)), $"{folder}: {r} is missing"));
        }
        Assert.All(Objects, o => Assert.True(o["apiVersion"].Exists && o.At("metadata.name").Exists, $"{o["kind"]} without apiVersion or name"));
    }

    [Fact]
    public void Every_environment_variable_is_a_setting_the_node_reads()
    {
        var sources = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["StatefulSet reco-node"] = NodeEnvironment };
        foreach (var (name, service) in ComposeNodes)
            sources[$"compose {name}"] = service["environment"].Entries.ToDictionary(e => e.Key, e => e.Value.String!);
        sources["Dockerfile"] = DockerfileEnvironment().Where(e => e.Key.StartsWith("RECO__", StringComparison.Ordinal)).ToDictionary();

        foreach (var (source, environment) in sources)
        {
            Assert.NotEmpty(environment);
            Assert.All(environment.Keys, key => Assert.StartsWith("RECO__", key));
            // Binding fails on a key RecoSettings does not have (ErrorOnUnknownConfiguration), and validation on a bad value.
            var (_, errors) = Manifests.Bind(environment);
            Assert.True(errors.Count == 0, $"{source}: {string.Join("; ", errors)}");
        }
    }

    [Fact]
    public void Ports_match_the_port_the_node_listens_on()
    {
        var (settings, errors) = Manifests.Bind(NodeEnvironment);
        Assert.Empty(errors);
        var port = settings.Http.Port;

        var containerPort = Node["ports"].Items.Single(p => p["name"].String == "http");
        Assert.Equal(port, containerPort["containerPort"].Int);
        var remoting = Node["ports"].Items.Single(p => p["name"].String == "remoting");
        Assert.Equal(settings.Cluster.Port, remoting["containerPort"].Int);
        var management = Node["ports"].Items.Single(p => p["name"].String == DiscoverySettings.ManagementPortName);
        Assert.Equal(settings.Discovery.ManagementPort, management["containerPort"].Int);
        foreach (var service in Objects.Where(o => o["kind"].String == "Service"))
            Assert.All(service.At("spec.ports").Items, p => Assert.Contains(p["targetPort"].String, new[] { "http", "remoting" }));
        var headless = Objects.Single("Service", StatefulSet.At("spec.serviceName").String);
        Assert.Equal("None", headless.At("spec.clusterIP").String);
        Assert.Equal("true", headless.At("spec.publishNotReadyAddresses").String);
        Assert.Equal(settings.Cluster.Port, headless.At("spec.ports").Items.Single(p => p["name"].String == "remoting")["port"].Int);

        // Other nodes reach this one at its pod name under the headless Service, and its management routes at its pod IP,
        // which is what the discovery lists it by.
        Assert.Equal($"{Manifests.PodName}.{headless.At("metadata.name")}", settings.Cluster.PublicHostname);
        Assert.Equal(Manifests.PodName, settings.Node.Id);
        Assert.Equal(Manifests.PodIp, settings.Discovery.ManagementHostname);

        // Remoting and management are open to the node pods alone, the API to labelled clients.
        var policy = Objects.Single("NetworkPolicy");
        var ingress = policy.At("spec.ingress").Items.ToLookup(r => r["from"].Items.Any(t => Selects(t.At("podSelector.matchLabels"), PodLabels)));
        Assert.Equal(["remoting", "management"], ingress[true].Single()["ports"].Items.Select(p => p["port"].String));
        Assert.All(ingress[false].SelectMany(r => r["ports"].Items), p => Assert.Equal("http", p["port"].String));
        var toNodes = policy.At("spec.egress").Items.Single(r => r["to"].Items.Any(t => Selects(t.At("podSelector.matchLabels"), PodLabels)));
        Assert.Equal([settings.Cluster.Port, settings.Discovery.ManagementPort], toNodes["ports"].Items.Select(p => p["port"].Int));
        var kafkaPorts = settings.Kafka.BootstrapServers.Split(',').Select(s => int.Parse(s.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));
        var egressPorts = policy.At("spec.egress").Items.SelectMany(r => r["ports"].Items).Select(p => p["port"].String).ToHashSet();
        Assert.All(kafkaPorts, p => Assert.Contains(p.ToString(System.Globalization.CultureInfo.InvariantCulture), egressPorts));
        Assert.Contains("5432", egressPorts);
        Assert.Contains("53", egressPorts);
        Assert.Contains("443", egressPorts);

        Assert.Contains($"EXPOSE {port} {settings.Cluster.Port} {settings.Discovery.ManagementPort}", Dockerfile());
        Assert.All(ComposeNodes, n => Assert.EndsWith($":{port}", n.Service["ports"].Items.Single().String));
    }

    [Fact]
    public void The_nodes_find_each_other_through_the_Kubernetes_API_with_a_service_account_that_may_only_read_pods()
    {
        var (settings, _) = Manifests.Bind(NodeEnvironment);
        Assert.Equal(DiscoverySettings.Kubernetes, settings.Discovery.Method);
        Assert.Empty(settings.Cluster.SeedNodes);
        // The discovery's selector picks exactly the StatefulSet's pods.
        var selector = settings.Discovery.PodLabelSelector.Split(',').Select(l => l.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.Equal(PodLabels.OrderBy(l => l.Key), selector.OrderBy(l => l.Key));
        Assert.Equal(StatefulSet.At("spec.selector.matchLabels").Entries.ToDictionary(e => e.Key, e => e.Value.String!).OrderBy(l => l.Key), selector.OrderBy(l => l.Key));
        // A cluster forms with one pod unschedulable, never with one pod alone.
        Assert.InRange(settings.Discovery.RequiredContactPoints, 2, StatefulSet.At("spec.replicas").Int - 1);

        var account = PodSpec["serviceAccountName"].String;
        Assert.Equal(account, Objects.Single("ServiceAccount").At("metadata.name").String);
        Assert.Equal("true", PodSpec["automountServiceAccountToken"].String);
        // Namespace-scoped: a Role and its RoleBinding, nothing cluster-wide.
        Assert.DoesNotContain(Objects, o => o["kind"].String is "ClusterRole" or "ClusterRoleBinding");
        var binding = Objects.Single("RoleBinding");
        Assert.Equal(account, binding["subjects"].Items.Single(s => s["kind"].String == "ServiceAccount")["name"].String);
        Assert.Single(binding["subjects"].Items);
        Assert.Equal("Role", binding.At("roleRef.kind").String);
        var rule = Objects.Single("Role", binding.At("roleRef.name").String)["rules"].Items.Single();
        Assert.Equal([""], rule["apiGroups"].Items.Select(g => g.String));
        Assert.Equal(["pods"], rule["resources"].Items.Select(r => r.String));
        Assert.Equal(["get", "list", "watch"], rule["verbs"].Items.Select(v => v.String).Order());
    }

    [Fact]
    public void Compose_forms_the_cluster_by_bootstrap_over_every_node_s_management_endpoint()
    {
        var nodes = ComposeNodes.Select(n => (n.Name, Settings: Manifests.Bind(n.Service["environment"].Entries.ToDictionary(e => e.Key, e => e.Value.String!)).Settings)).ToList();
        var endpoints = nodes.Select(n => $"{n.Settings.Cluster.PublicHostname}:{n.Settings.Discovery.ManagementPort}").Order().ToList();
        foreach (var (name, settings) in nodes)
        {
            Assert.Equal(DiscoverySettings.Config, settings.Discovery.Method);
            Assert.Empty(settings.Cluster.SeedNodes);
            Assert.Equal(endpoints, settings.Discovery.Endpoints.Order());
            Assert.Equal(name, Compose.At($"services.{name}.hostname").String);
            Assert.Equal(name, settings.Cluster.PublicHostname);
            Assert.InRange(settings.Discovery.RequiredContactPoints, 2, nodes.Count - 1);
        }
    }

    [Fact]
    public void Probes_use_the_health_and_readiness_routes()
    {
        Assert.Equal("/healthz", Node.At("livenessProbe.httpGet.path").String);
        Assert.Equal("/healthz", Node.At("startupProbe.httpGet.path").String);
        Assert.Equal("/readyz", Node.At("readinessProbe.httpGet.path").String);
        Assert.All(new[] { "livenessProbe", "startupProbe", "readinessProbe" }, p => Assert.Equal("http", Node.At($"{p}.httpGet.port").String));
        // That the node answers on these paths, with these settings, is ConfigMapNodeTests' part.
    }

    [Fact]
    public void Replicas_never_exceed_the_events_topics_partitions()
    {
        var (settings, _) = Manifests.Bind(NodeEnvironment);
        var job = Objects.Single("Job", "reco-topics").At("spec.template.spec.containers").Items.Single();
        var partitions = Manifests.TopicPartitions(string.Join(' ', job["args"].Items.Select(a => a.String)), Manifests.Environment(job));
        var events = partitions[settings.Kafka.EventsTopic];
        Assert.Equal(1, partitions[settings.Kafka.PartialsTopic]);
        Assert.True(partitions.ContainsKey(settings.Kafka.DeadLetterTopic));

        Assert.InRange(StatefulSet.At("spec.replicas").Int, 2, events);
        var hpa = Manifests.Kustomize(Path.Combine(Manifests.K8s, "autoscaling")).Single("HorizontalPodAutoscaler");
        Assert.Equal(StatefulSet.At("metadata.name").String, hpa.At("spec.scaleTargetRef.name").String);
        Assert.Equal("StatefulSet", hpa.At("spec.scaleTargetRef.kind").String);
        Assert.InRange(hpa.At("spec.maxReplicas").Int, hpa.At("spec.minReplicas").Int, events);

        var composeTopics = Manifests.TopicPartitions(string.Join(' ', Compose.At("services.topics.command").Items.Select(c => c.String)),
            new Dictionary<string, string>());
        Assert.InRange(ComposeNodes.Count(), 2, composeTopics[settings.Kafka.EventsTopic]);
    }

    [Fact]
    public void Pods_run_unprivileged_on_a_read_only_root()
    {
        Assert.Equal("true", PodSpec.At("securityContext.runAsNonRoot").String);
        Assert.NotEqual(0, PodSpec.At("securityContext.runAsUser").Int);
        var security = Node["securityContext"];
        Assert.Equal("false", security["allowPrivilegeEscalation"].String);
        Assert.Equal("true", security["readOnlyRootFilesystem"].String);
        Assert.Equal(["ALL"], security.At("capabilities.drop").Items.Select(c => c.String));
        // The runtime needs a writable /tmp.
        var tmp = Node["volumeMounts"].Items.Single(m => m["mountPath"].String == "/tmp");
        Assert.True(PodSpec["volumes"].Items.Single(v => v["name"].String == tmp["name"].String)["emptyDir"].Exists);
        foreach (var kind in new[] { "requests", "limits" })
            Assert.True(Node.At($"resources.{kind}.memory").Exists && Node.At($"resources.{kind}.cpu").Exists, $"resources.{kind}");

        Assert.Matches(@"(?m)^USER \$APP_UID$", Dockerfile());
        Assert.All(ComposeNodes, n => Assert.Equal("true", n.Service["read_only"].String));
    }

    [Fact]
    public void The_grace_period_covers_the_pause_and_the_hand_off()
    {
        var (settings, _) = Manifests.Bind(NodeEnvironment);
        // CoordinatedShutdown allows the hand-off HandOffTimeout + 10 s (RuntimeConfig, NodeServer); the preStop pause comes before it.
        var handOff = settings.Shards.HandOffTimeout + TimeSpan.FromSeconds(10);
        var preStop = PreStopPause;
        var grace = TimeSpan.FromSeconds(PodSpec["terminationGracePeriodSeconds"].Int);
        Assert.True(grace >= preStop + handOff + TimeSpan.FromSeconds(5), $"grace {grace} < preStop {preStop} + hand-off {handOff} + 5 s");
        Assert.All(ComposeNodes, n => Assert.True(TimeSpan.FromSeconds(int.Parse(n.Service["stop_grace_period"].String!.TrimEnd('s'),
            System.Globalization.CultureInfo.InvariantCulture)) >= handOff, $"{n.Name}: stop_grace_period"));

        var budget = Objects.Single("PodDisruptionBudget");
        Assert.Equal(1, budget.At("spec.maxUnavailable").Int);
        Assert.True(Selects(budget.At("spec.selector.matchLabels"), PodLabels));
        Assert.True(Selects(Objects.Single("NetworkPolicy").At("spec.podSelector.matchLabels"), PodLabels));
        Assert.All(Objects.Where(o => o["kind"].String == "Service"), s => Assert.True(Selects(s.At("spec.selector"), PodLabels)));
    }

    [Fact]
    public void The_image_builds_every_project_the_node_needs()
    {
        var dockerfile = Dockerfile();
        var projects = new HashSet<string>();
        void Walk(string csproj)
        {
            if (!projects.Add(Path.GetRelativePath(Manifests.Root, csproj).Replace('\\', '/'))) return;
            foreach (var reference in XDocument.Load(csproj).Descendants("ProjectReference"))
                Walk(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(csproj)!, reference.Attribute("Include")!.Value)));
        }
        Walk(Path.Combine(Manifests.Root, "src", "RecoActors.Node", "RecoActors.Node.csproj"));
        Assert.All(projects, p => Assert.Contains($"COPY {p} ", dockerfile));
        Assert.Contains("""ENTRYPOINT ["dotnet", "reco.dll"]""", dockerfile);
        Assert.Contains("""CMD ["serve"]""", dockerfile);
        // The bundled librdkafka is loaded explicitly; an operating-system one would only be a second, older copy.
        Assert.DoesNotContain("librdkafka1", dockerfile);
    }

    internal static TimeSpan PreStopPause =>
        TimeSpan.FromSeconds(int.Parse(Node.At("lifecycle.preStop.exec.command").Items.Select(c => c.String).SkipWhile(c => c != "sleep").ElementAt(1)!,
            System.Globalization.CultureInfo.InvariantCulture));

    internal static string Probe(string name) => Node.At($"{name}.httpGet.path").String!;

    internal static TimeSpan GracePeriod => TimeSpan.FromSeconds(PodSpec["terminationGracePeriodSeconds"].Int);

    internal static IReadOnlyDictionary<string, string> ConfigMapNodeEnvironment => NodeEnvironment;

    private static IReadOnlyDictionary<string, string> PodLabels =>
        StatefulSet.At("spec.template.metadata.labels").Entries.ToDictionary(e => e.Key, e => e.Value.String!);

    /// <summary>Whether a label selector (a non-empty label map) matches <paramref name="labels"/>.</summary>
    private static bool Selects(Yaml selector, IReadOnlyDictionary<string, string> labels) =>
        selector.Entries.Any() && selector.Entries.All(e => labels.GetValueOrDefault(e.Key) == e.Value.String);

    private static string Dockerfile() => File.ReadAllText(Path.Combine(Manifests.Deploy, "Dockerfile"));

    private static IEnumerable<KeyValuePair<string, string>> DockerfileEnvironment() =>
        Regex.Matches(Dockerfile(), @"(?m)^ENV ((?:.*\\\r?\n)*.*)$")
            .SelectMany(m => Regex.Matches(m.Groups[1].Value, @"([A-Za-z_][A-Za-z0-9_]*)=(\S*)"))
            .Select(m => KeyValuePair.Create(m.Groups[1].Value, m.Groups[2].Value));
}
