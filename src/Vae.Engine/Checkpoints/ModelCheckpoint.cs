using System.Globalization;
using System.Text.Json;
using Vae.Engine.Backends;
using Vae.Engine.Models;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;
using Vae.Engine.Training;

namespace Vae.Engine.Checkpoints;

/// <summary>
/// A model's weights as a safetensors file, with its configuration and training metrics in the
/// header's __metadata__ (all strings, as the format requires), so Python's safetensors opens
/// the weights and this engine rebuilds the model from the file alone.
/// </summary>
public static class ModelCheckpoint
{
    public const string FormatKey = "format";
    public const string FormatValue = "vae-engine/1";
    public const string ConfigKey = "config";
    public const string MetricsKey = "metrics";

    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Save(string path, AutoencoderModel model, IReadOnlyList<EpochMetrics>? metrics = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = BuildMetadata(model, metrics, extraMetadata);
        SafeTensors.Write(path, Entries(model), metadata);
    }

    /// <summary>Writes the same bytes as <see cref="Save(string, AutoencoderModel, IReadOnlyList{EpochMetrics}?, IReadOnlyDictionary{string, string}?)"/> to a stream, for stores that are not folders.</summary>
    public static void Save(Stream stream, AutoencoderModel model, IReadOnlyList<EpochMetrics>? metrics = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
        => SafeTensors.Write(stream, Entries(model), BuildMetadata(model, metrics, extraMetadata));

    /// <summary>Rebuilds the model a file describes and loads its weights; damaged files give an error naming the problem.</summary>
    public static LoadedModel Load(string path, IBackend backend) => FromFile(SafeTensors.Read(path), path, backend);

    /// <summary>As <see cref="Load(string, IBackend)"/>, from a stream read to its end; <paramref name="source"/> names it in errors.</summary>
    public static LoadedModel Load(Stream stream, string source, IBackend backend) => FromFile(SafeTensors.Read(stream, source), source, backend);

    internal static LoadedModel FromFile(SafeTensorsFile file, string source, IBackend backend)
    {
        if (!file.Metadata.TryGetValue(ConfigKey, out var configJson))
            throw new InvalidDataException($"{source} has no '{ConfigKey}' entry in its metadata, so the model cannot be rebuilt; it was not written by this engine.");
        ModelConfig config;
        try { config = ModelConfig.FromJson(configJson); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: the model configuration in the metadata is not valid JSON ({e.Message}).", e); }
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: the stored model configuration is invalid: {e.Message}", e); }

        var model = ModelRegistry.Create(config, 0, backend);
        model.LoadState(ToDictionary(file), source);
        var metrics = file.Metadata.TryGetValue(MetricsKey, out var m) ? ParseMetrics(m, source) : [];
        return new LoadedModel(model, metrics, file.Metadata);
    }

    internal static Dictionary<string, string> BuildMetadata(AutoencoderModel model, IReadOnlyList<EpochMetrics>? metrics, IReadOnlyDictionary<string, string>? extra)
    {
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            [ConfigKey] = model.Config.ToJson(),
            [MetricsKey] = JsonSerializer.Serialize(metrics ?? [], Json),
            ["parameters"] = model.ParameterCount().ToString(CultureInfo.InvariantCulture),
        };
        if (extra is not null) foreach (var (k, v) in extra) metadata[k] = v;
        return metadata;
    }

    internal static List<SafeTensorsEntry> Entries(Module module)
        => module.NamedState().Select(p => new SafeTensorsEntry(p.Name, (int[])p.Tensor.Shape.Clone(), p.Tensor.ToArray())).ToList();

    internal static Dictionary<string, (int[] Shape, float[] Data)> ToDictionary(SafeTensorsFile file)
        => file.Tensors.ToDictionary(t => t.Name, t => (t.Shape, t.Data));

    private static IReadOnlyList<EpochMetrics> ParseMetrics(string json, string source)
    {
        try { return JsonSerializer.Deserialize<List<EpochMetrics>>(json, Json) ?? []; }
        catch (JsonException e) { throw new InvalidDataException($"{source}: the training metrics in the metadata are not valid JSON ({e.Message}).", e); }
    }
}

/// <summary>A model read back from a file, with what its file says about how it was trained.</summary>
public sealed record LoadedModel(AutoencoderModel Model, IReadOnlyList<EpochMetrics> Metrics, IReadOnlyDictionary<string, string> Metadata);
