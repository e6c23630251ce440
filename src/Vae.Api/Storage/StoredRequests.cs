using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Vae.Engine.Models;

namespace Vae.Api.Storage;

/// <summary>
/// Training requests as the stores keep them: JSON whose model is the registry's polymorphic
/// configuration. Requests stored before model families existed are read as the MLP they describe
/// (see <see cref="LegacyConfigs"/>), so their jobs can still be listed and resumed.
/// </summary>
public static class StoredRequests
{
    public static string Write(TrainingRequest request, JsonSerializerOptions options) => JsonSerializer.Serialize(request, options);

    public static TrainingRequest Read(string json, JsonSerializerOptions options)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("A stored request must be a JSON object.");
        if (LegacyConfigs.IsLegacyRequest(node)) LegacyConfigs.UpgradeRequest(node);
        return node.Deserialize<TrainingRequest>(options) ?? throw new JsonException("The stored request is empty.");
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
