using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using MessagePack;
using MessagePack.Resolvers;

namespace RecoActors.Protocol;

/// <summary>
/// A MessagePack serializer with a fixed table of manifests: each bound type travels under a name with a version
/// (<c>user.read/1</c>) that is part of the protocol, so renaming a .NET type never breaks the wire or the store.
/// </summary>
/// <remarks>
/// An unknown manifest (a newer node's message, or a record from a newer build) and bytes that do not decode are a
/// <see cref="SerializationException"/> that says which; never a default value. Akka drops such a message and
/// keeps the connection, which is what a rolling upgrade needs.
/// </remarks>
public abstract class ManifestSerializer : SerializerWithStringManifest
{
    /// <summary>Bounded, attribute-driven resolution only: bytes from the network or the store are untrusted.</summary>
    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(StandardResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly Dictionary<Type, string> _manifests;
    private readonly Dictionary<string, Type> _types;

    /// <summary>A serializer for the types in <paramref name="manifests"/>.</summary>
    protected ManifestSerializer(ExtendedActorSystem system, IReadOnlyDictionary<Type, string> manifests) : base(system)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        _manifests = new Dictionary<Type, string>(manifests);
        _types = _manifests.ToDictionary(m => m.Value, m => m.Key, StringComparer.Ordinal);
    }

    /// <summary>HOCON that registers <paramref name="serializer"/> under <paramref name="name"/> and binds <paramref name="marker"/> to it.</summary>
    public static string Binding(string name, Type serializer, Type marker)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(marker);
        return $$"""
            akka.actor {
              serializers.{{name}} = "{{TypeName(serializer)}}"
              serialization-bindings { "{{TypeName(marker)}}" = {{name}} }
            }
            """;

        static string TypeName(Type t) => $"{t.FullName}, {t.Assembly.GetName().Name}";
    }

    /// <summary>The manifests this serializer knows, by type.</summary>
    public IReadOnlyDictionary<Type, string> Manifests => _manifests;

    /// <inheritdoc />
    public override string Manifest(object o) => _manifests.TryGetValue(o.GetType(), out var manifest)
        ? manifest
        : throw new SerializationException($"{GetType().Name} has no manifest for {o.GetType().FullName}; add it to the serializer's table");

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => MessagePackSerializer.Serialize(obj.GetType(), obj, Options);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!_types.TryGetValue(manifest, out var type))
            throw new SerializationException($"{GetType().Name} does not know manifest '{manifest}' (written by a newer build?); known: {string.Join(", ", _types.Keys.Order())}");
        try
        {
            return MessagePackSerializer.Deserialize(type, bytes, Options)
                ?? throw new SerializationException($"'{manifest}' decoded to nothing ({bytes.Length} bytes)");
        }
        catch (MessagePackSerializationException ex)
        {
            throw new SerializationException($"'{manifest}' does not decode ({bytes.Length} bytes): {ex.InnerException?.Message ?? ex.Message}", ex);
        }
    }
}
