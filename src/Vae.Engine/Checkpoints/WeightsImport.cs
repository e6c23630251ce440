using Vae.Engine.Backends;
using Vae.Engine.Models;
using Vae.Engine.Tensors;

namespace Vae.Engine.Checkpoints;

/// <summary>One thing wrong with imported weights: the tensor, named as the file names it (or as the model needs it), and what is wrong.</summary>
public sealed record TensorProblem(string Tensor, string Message);

/// <summary>
/// Builds a model from weights saved elsewhere: a safetensors file holding every parameter and
/// buffer of the model a configuration describes, under the engine's names (those of GET weights)
/// or the family's <see cref="IModelFamily.ImportAliases"/>. Every tensor is checked before any is
/// used, and every problem is reported at once: missing and unexpected tensors, shapes, and values
/// that are not finite. (The file reader already refuses a dtype other than F32, naming the tensor.)
/// </summary>
public static class WeightsImport
{
    /// <summary>
    /// Tensors that weights saved elsewhere may carry and a model here has no use for: PyTorch's batch
    /// norm counters (int64 num_batches_tracked), which only pick a momentum that is not used. Read
    /// the file with this as the skip of <see cref="SafeTensors.Read(Stream, string, Func{string, bool}?)"/>.
    /// </summary>
    public static bool IsIgnored(string name) => name == "num_batches_tracked" || name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    /// <summary>The tensors a configuration's model needs: the engine's name, the shape, and the family's other name for it, if any.</summary>
    public static IReadOnlyList<(string Name, int[] Shape, string? Alias)> Expected(ModelConfig config)
    {
        var model = ModelRegistry.Create(config, 0, Backends.Cpu.CpuBackend.Instance);
        var aliasOf = config.Owner.ImportAliases(config).ToDictionary(a => a.Value, a => a.Key, StringComparer.Ordinal);
        return [.. model.NamedState().Select(s => (s.Name, (int[])s.Tensor.Shape.Clone(), aliasOf.GetValueOrDefault(s.Name)))];
    }

    /// <summary>The model with the file's weights, or every problem found; the model is in eval mode.</summary>
    public static (AutoencoderModel? Model, IReadOnlyList<TensorProblem> Problems) Load(ModelConfig config, SafeTensorsFile file, IBackend backend)
    {
        var model = ModelRegistry.Create(config, 0, backend);
        var expected = model.NamedState().ToDictionary(s => s.Name, s => s.Tensor.Shape, StringComparer.Ordinal);
        var aliases = config.Owner.ImportAliases(config);
        var aliasOf = aliases.ToDictionary(a => a.Value, a => a.Key, StringComparer.Ordinal);
        var problems = new List<TensorProblem>();
        var values = new Dictionary<string, (int[] Shape, float[] Data)>(StringComparer.Ordinal);
        var givenAs = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var tensor in file.Tensors)
        {
            string? ours = expected.ContainsKey(tensor.Name) ? tensor.Name : aliases.GetValueOrDefault(tensor.Name);
            if (ours is null)
            {
                problems.Add(new(tensor.Name, $"is not a tensor of this {config.Family} model; it takes {Describe(expected.Keys, aliasOf)}."));
                continue;
            }
            if (givenAs.TryGetValue(ours, out var earlier))
            {
                problems.Add(new(tensor.Name, $"is the same tensor as '{earlier}' (the model's '{ours}'); send it once."));
                continue;
            }
            givenAs[ours] = tensor.Name;
            int[] shape = expected[ours];
            string named = ours == tensor.Name ? "" : $" (the model's '{ours}')";
            if (!tensor.Shape.AsSpan().SequenceEqual(shape))
            {
                problems.Add(new(tensor.Name, $"has shape {ShapeOf.Format(tensor.Shape)}{named}; the model expects {ShapeOf.Format(shape)}."));
                continue;
            }
            if (NonFinite(tensor.Data) is { } bad)
            {
                problems.Add(new(tensor.Name, $"{bad}{named}; weights must be finite numbers."));
                continue;
            }
            values[ours] = (tensor.Shape, tensor.Data);
        }
        foreach (var (name, shape) in expected)
        {
            if (givenAs.ContainsKey(name)) continue;
            string other = aliasOf.TryGetValue(name, out var alias) ? $" (or '{alias}')" : "";
            problems.Add(new(name, $"is missing: the model needs '{name}'{other} with shape {ShapeOf.Format(shape)}."));
        }
        if (problems.Count > 0) return (null, problems);

        model.LoadState(values, file.Source);
        model.Eval();
        return (model, problems);
    }

    /// <summary>"has 3 NaN and 1 infinite values, the first at index 17", or null when every value is finite.</summary>
    private static string? NonFinite(float[] data)
    {
        int nan = 0, infinite = 0, first = -1;
        for (int i = 0; i < data.Length; i++)
        {
            if (float.IsFinite(data[i])) continue;
            if (float.IsNaN(data[i])) nan++; else infinite++;
            if (first < 0) first = i;
        }
        return first < 0 ? null : $"has {nan} NaN and {infinite} infinite value{(nan + infinite == 1 ? "" : "s")}, the first at index {first}";
    }

    private static string Describe(IEnumerable<string> names, Dictionary<string, string> aliasOf)
    {
        var all = names.Select(n => aliasOf.TryGetValue(n, out var a) ? $"'{n}' (or '{a}')" : $"'{n}'").ToList();
        const int shown = 12;
        return string.Join(", ", all.Take(shown)) + (all.Count > shown ? $" and {all.Count - shown} more" : "");
    }
}
