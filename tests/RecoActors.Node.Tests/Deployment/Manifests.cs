using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using RecoActors.Node.Hosting;

namespace RecoActors.Node.Tests.Deployment;

/// <summary>The repository's deployment files, read the way kustomize, Kubernetes and Compose read them.</summary>
internal static partial class Manifests
{
    public static string Root { get; } = FindRoot();

    /// <summary>The kustomization users apply (<c>kubectl apply -k k8s</c>).</summary>
    public static string K8s => Path.Combine(Root, "k8s");

    /// <summary>The base every overlay builds on: the manifests and the settings.</summary>
    public static string Base => Path.Combine(K8s, "base");

    public static string Deploy => Path.Combine(Root, "deploy");

    /// <summary>The pod name the environment is resolved for (a StatefulSet pod's name is its node id).</summary>
    public const string PodName = "reco-node-0";

    /// <summary>The pod IP the environment is resolved for.</summary>
    public const string PodIp = "10.0.0.10";

    /// <summary>Every object a kustomization renders (resources, recursively), plus the generated ConfigMap's entries.</summary>
    public static IReadOnlyList<Yaml> Kustomize(string folder)
    {
        var kustomization = Yaml.Load(Path.Combine(folder, "kustomization.yaml")).Single();
        var objects = new List<Yaml>();
        foreach (var resource in kustomization["resources"].Items.Select(r => Path.GetFullPath(Path.Combine(folder, r.String!))))
            objects.AddRange(Directory.Exists(resource) ? Kustomize(resource) : Yaml.Load(resource));
        return objects;
    }

    public static Yaml Single(this IEnumerable<Yaml> objects, string kind, string? name = null) =>
        objects.Single(o => o["kind"].String == kind && (name is null || o.At("metadata.name").String == name));

    /// <summary>The <c>reco-config</c> ConfigMap's entries, from the env file its generator reads.</summary>
    public static IReadOnlyDictionary<string, string> ConfigMap()
    {
        var kustomization = Yaml.Load(Path.Combine(Base, "kustomization.yaml")).Single();
        var generator = kustomization["configMapGenerator"].Items.Single(g => g["name"].String == "reco-config");
        return generator["envs"].Items
            .SelectMany(file => File.ReadAllLines(Path.Combine(Base, file.String!)))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);
    }

    /// <summary>
    /// The environment <paramref name="container"/> starts with: its ConfigMaps, then its own variables, with
    /// <c>$(NAME)</c> references expanded as the kubelet does; field references resolve for <see cref="PodName"/> and <see cref="PodIp"/>,
    /// secret references to a stand-in value.
    /// </summary>
    public static Dictionary<string, string> Environment(Yaml container)
    {
        var environment = new Dictionary<string, string>();
        foreach (var source in container["envFrom"].Items)
        {
            Assert.Equal("reco-config", source.At("configMapRef.name").String);
            foreach (var (key, value) in ConfigMap()) environment[key] = value;
        }
        foreach (var variable in container["env"].Items)
        {
            var name = variable["name"].String!;
            var from = variable["valueFrom"];
            environment[name] = from.Exists
                ? from["fieldRef"].Exists ? from.At("fieldRef.fieldPath").String switch
                    {
                        "metadata.name" => PodName,
                        "status.podIP" => PodIp,
                        _ => throw new NotSupportedException(from.ToString()),
                    }
                : SecretStandIn(from.At("secretKeyRef.key").String!)
                : Reference().Replace(variable["value"].String!, m => environment.GetValueOrDefault(m.Groups[1].Value, m.Value));
        }
        return environment;
    }

    /// <summary>Binds environment variables as the node does (<c>RECO__A__B</c> is <c>Reco:A:B</c>) and returns its settings and errors.</summary>
    public static (RecoSettings Settings, IReadOnlyList<string> Errors) Bind(IReadOnlyDictionary<string, string> environment)
    {
        // The node's own defaults come first, as in the image.
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))
            .AddInMemoryCollection(environment.Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":"), kv.Value)))
            .Build();
        return RecoSettings.Bind(configuration);
    }

    /// <summary>The partition counts the topic-creating script gives each topic.</summary>
    public static Dictionary<string, int> TopicPartitions(string script, IReadOnlyDictionary<string, string> environment) =>
        TopicCommand().Matches(Reference().Replace(script, m => environment.GetValueOrDefault(m.Groups[1].Value, m.Value)))
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));

    private static string SecretStandIn(string key) => key switch
    {
        "store-connection-string" => "Host=postgres.example;Username=reco;Password=stand-in;Database=reco",
        _ => "stand-in",
    };

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();

    [GeneratedRegex(@"--topic\s+(\S+)\s+--partitions\s+(\d+)")]
    private static partial Regex TopicCommand();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RecoActors.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("RecoActors.sln not found above " + AppContext.BaseDirectory);
    }
}
