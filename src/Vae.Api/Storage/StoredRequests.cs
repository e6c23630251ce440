using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Vae.Engine.Models;

namespace Vae.Api.Storage;

/// <summary>
/// Training requests as the stores keep them: JSON whose model is the registry's polymorphic
/// configuration. Requests stored before model families existed (flat fields: "model": "vae",
/// "architecture", "hiddenSizes", ...) are read as the MLP they describe, so their jobs can still be
/// listed and resumed.
/// </summary>
public static class StoredRequests
{
    private static readonly string[] LegacyModelFields = ["architecture", "hiddenSizes", "latentDim", "activation", "likelihood", "sigma", "beta"];

    public static string Write(TrainingRequest request, JsonSerializerOptions options) => JsonSerializer.Serialize(request, options);

    public static TrainingRequest Read(string json, JsonSerializerOptions options)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("A stored request must be a JSON object.");
        if (node["model"] is JsonValue) UpgradeLegacy(node);
        return node.Deserialize<TrainingRequest>(options) ?? throw new JsonException("The stored request is empty.");
    }

    private static void UpgradeLegacy(JsonObject node)
    {
        string kind = node["model"]?.GetValue<string>() is "ae" or "autoencoder" ? "ae" : "vae";
        var model = new JsonObject { ["family"] = "mlp", ["kind"] = kind, ["channels"] = 1, ["height"] = 28, ["width"] = 28 };
        foreach (string field in LegacyModelFields)
        {
            if (!node.Remove(field, out var value) || value is null || field == "architecture") continue;
            if (field == "activation" && value.GetValue<string>() == "leaky_relu") value = "leakyRelu";
            model[field] = value;
        }
        node["model"] = model;
    }
}

/// <summary>Reads and writes <see cref="ModelConfig"/> through the family registry, discriminator first.</summary>
public sealed class ModelConfigConverter : JsonConverter<ModelConfig>
{
    public override ModelConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var node = JsonNode.Parse(ref reader) as JsonObject ?? throw new JsonException("A model configuration must be a JSON object.");
        return ModelRegistry.Deserialize(node);
    }

    public override void Write(Utf8JsonWriter writer, ModelConfig value, JsonSerializerOptions options)
    {
        using var document = JsonDocument.Parse(ModelRegistry.Serialize(value));
        document.WriteTo(writer);
    }
}
