using System.Globalization;
using System.Text.Json;
using Vae.Engine.Models;
using Vae.Engine.Optim;
using Vae.Engine.Training;

namespace Vae.Engine.Checkpoints;

/// <summary>
/// Everything needed to continue training after the last finished epoch, in one safetensors file
/// written atomically: the weights (same names as <see cref="ModelCheckpoint"/>), the optimizer's
/// state under "optimizer.", and in the metadata the epoch, the optimizer step, the options and
/// the metrics so far. One file means a crash can never pair weights with another epoch's state.
/// </summary>
public static class TrainingCheckpoint
{
    public const string FileName = "checkpoint.safetensors";
    private const string OptimizerPrefix = "optimizer.";

    public static void Save(string directory, AutoencoderModel model, Optimizer optimizer, TrainingOptions options, IReadOnlyList<EpochMetrics> history)
    {
        Directory.CreateDirectory(directory);
        var entries = ModelCheckpoint.Entries(model);
        foreach (var (name, t) in optimizer.StateTensors())
            entries.Add(new SafeTensorsEntry(OptimizerPrefix + name, (int[])t.Shape.Clone(), t.ToArray()));
        var extra = new Dictionary<string, string>
        {
            ["epoch"] = history.Count.ToString(CultureInfo.InvariantCulture),
            ["optimizer_step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["training"] = JsonSerializer.Serialize(options with { CheckpointDirectory = null }, ModelCheckpoint.Json),
        };
        SafeTensors.Write(Path.Combine(directory, FileName), entries, ModelCheckpoint.BuildMetadata(model, history, extra));
    }

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, FileName));

    /// <summary>
    /// Loads weights and optimizer state into <paramref name="model"/> and <paramref name="optimizer"/>
    /// and returns the metrics of the epochs already done. The file must describe the same model.
    /// </summary>
    public static IReadOnlyList<EpochMetrics> Restore(string directory, AutoencoderModel model, Optimizer optimizer)
    {
        string path = Path.Combine(directory, FileName);
        var file = SafeTensors.Read(path);
        if (!file.Metadata.TryGetValue(ModelCheckpoint.ConfigKey, out var configJson) || !ModelConfig.FromJson(configJson).Equals(model.Config))
            throw new InvalidDataException($"{path} was written for another model configuration; delete it to start over.");
        var all = ModelCheckpoint.ToDictionary(file);
        model.LoadState(all, path);
        var state = all.Where(kv => kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[OptimizerPrefix.Length..], kv => kv.Value);
        long step = file.Metadata.TryGetValue("optimizer_step", out var s) && long.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v
            : throw new InvalidDataException($"{path} has no valid 'optimizer_step' in its metadata.");
        optimizer.LoadState(step, state, path);
        var metrics = JsonSerializer.Deserialize<List<EpochMetrics>>(file.Metadata.GetValueOrDefault(ModelCheckpoint.MetricsKey, "[]"), ModelCheckpoint.Json) ?? [];
        return metrics;
    }
}
