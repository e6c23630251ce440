using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Vae.Engine.Backends;
using Vae.Engine.Models.Conv;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Models.ResNet;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// The model families this engine knows: the one place that lists them. Configurations are read
/// and written here as one polymorphic JSON object whose "family" picks the type; a configuration
/// with no "family" is an MLP (the only family there once was, read by <see cref="LegacyConfigs"/>), and a conditional one with no "latentDim" gets <see cref="ModelPresets.ConditionalLatentDim"/>.
/// </summary>
public static class ModelRegistry
{
    public static IReadOnlyList<IModelFamily> Families { get; } = [new MlpFamily(), new ConvFamily(), new ResNetFamily()];

    public static IEnumerable<string> Names => Families.Select(f => f.Name);

    /// <summary>The family a configuration (or a training request) that names none is: the MLP, the first there was.</summary>
    public static IModelFamily DefaultFamily => Families[0];

    /// <summary>The fields that describe the images rather than the model (channels, height, width): a service fills them in from its dataset.</summary>
    public static IReadOnlyList<string> ShapeFields { get; } =
        [JsonName(nameof(ModelConfig.Channels)), JsonName(nameof(ModelConfig.Height)), JsonName(nameof(ModelConfig.Width))];

    /// <summary>The class count field, which a conditional model takes from its dataset too.</summary>
    public static string ClassCountField { get; } = JsonName(nameof(ModelConfig.ClassCount));

    /// <summary>Every field a service fills in from its dataset: <see cref="ShapeFields"/> and <see cref="ClassCountField"/>.</summary>
    public static IReadOnlyList<string> DatasetFields { get; } = [.. ShapeFields, ClassCountField];

    private static string JsonName(string property) => JsonNamingPolicy.CamelCase.ConvertName(property);

    public static IModelFamily? TryFind(string? name) => Families.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    public static IModelFamily Find(string name)
        => TryFind(name) ?? throw new ArgumentException($"There is no model family '{name}'; the families are {string.Join(", ", Names)}.");

    /// <summary>Builds the model a configuration describes, with weights drawn from <paramref name="seed"/>.</summary>
    public static AutoencoderModel Create(ModelConfig config, ulong seed, IBackend backend)
        => config.Owner.Create(config, Generator.ForStream(seed, 0xC0FFEE), backend);

    /// <summary>JSON options for configurations: camelCase names and enums, unknown fields refused, the family as discriminator.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateOptions();

    /// <summary>The JSON fields of a family's configuration, "family" itself aside, in declaration order.</summary>
    public static IReadOnlyList<JsonPropertyInfo> Fields(IModelFamily family)
        => [.. JsonOptions.GetTypeInfo(family.ConfigType).Properties.Where(p =>
            p.AttributeProvider is not System.Reflection.MemberInfo m || !m.IsDefined(typeof(JsonIgnoreAttribute), inherit: true))];

    public static string Serialize(ModelConfig config) => JsonSerializer.Serialize(config, JsonOptions);

    /// <summary>Reads a configuration; <see cref="JsonException"/> says what is wrong, naming the field.</summary>
    public static ModelConfig Deserialize(string json)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("A model configuration must be a JSON object.");
        return Deserialize(node);
    }

    public static ModelConfig Deserialize(JsonObject node)
    {
        node = (JsonObject)node.DeepClone();
        if (LegacyConfigs.IsLegacy(node)) LegacyConfigs.Upgrade(node);
        var family = node["family"];
        if (family is not JsonValue v || !v.TryGetValue<string>(out var name) || TryFind(name) is not { } owner)
            throw new JsonException($"family must be one of {string.Join(", ", Names)}, got {family?.ToJsonString() ?? "null"}.");
        node["family"] = owner.Name; // normalise the case
        // A conditional model with no latent size gets a small one, which keeps the decoder listening to the label.
        if (node["conditional"] is JsonValue c && c.TryGetValue<bool>(out bool conditional) && conditional && !node.ContainsKey("latentDim"))
            node["latentDim"] = ModelPresets.ConditionalLatentDim;
        try
        {
            return node.Deserialize<ModelConfig>(JsonOptions) ?? throw new JsonException("The model configuration is empty.");
        }
        catch (JsonException e) when (EnumFieldOf(owner.ConfigType, e.Path) is { } field)
        {
            // The serializer only says it could not convert the value; a person needs the values it takes.
            var names = Enum.GetNames(field.Type).Select(n => JsonNamingPolicy.CamelCase.ConvertName(n));
            throw new JsonException($"{field.Name} must be one of {string.Join(", ", names)}, got {node[field.Name]?.ToJsonString() ?? "null"}.", e.Path, e.LineNumber, e.BytePositionInLine, e);
        }
    }

    /// <summary>The enum-typed top-level field a serializer error's path points at, if it is one.</summary>
    private static (string Name, Type Type)? EnumFieldOf(Type configType, string? path)
    {
        if (path is null || !path.StartsWith("$.", StringComparison.Ordinal) || path.IndexOfAny(['.', '['], 2) >= 0) return null;
        string name = path[2..];
        var property = configType.GetProperty(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
        var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type is { IsEnum: true } ? (name, type) : null;
    }

    /// <summary>
    /// A JSON contract modifier that makes <see cref="ModelConfig"/> polymorphic on "family" with
    /// every registered family: add it to any resolver that reads or writes configurations.
    /// </summary>
    public static void DescribeConfigs(JsonTypeInfo info)
    {
        if (info.Type != typeof(ModelConfig)) return;
        var polymorphism = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = "family",
            UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
        };
        foreach (var f in Families) polymorphism.DerivedTypes.Add(new JsonDerivedType(f.ConfigType, f.Name));
        info.PolymorphismOptions = polymorphism;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var resolver = new DefaultJsonTypeInfoResolver();
        resolver.Modifiers.Add(DescribeConfigs);
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            AllowOutOfOrderMetadataProperties = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = resolver,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        };
        options.MakeReadOnly();
        return options;
    }
}
