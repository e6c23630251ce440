using System.Collections.Concurrent;
using System.Globalization;
using Vae.Engine.Backends;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Models;

/// <summary>
/// One whole-model reference pass from Fixtures/models/NAME.safetensors (written by
/// Fixtures/make_golden_models.py, whose docstring lists the tensors): the model's configuration
/// and weights, its inputs, and PyTorch's float64 outputs, loss and gradients stored as float32.
/// </summary>
internal sealed class GoldenModelFixture
{
    /// <summary>Every fixture, listed rather than discovered, so a missing file fails instead of shrinking the test set.</summary>
    public static readonly string[] Names = ["conv", "resnet", "mlp_conditional", "conv_conditional"];

    /// <summary>The fixtures with batch norm, whose running statistics and eval mode are checked too.</summary>
    public static readonly string[] WithBatchNorm = ["resnet"];

    private static readonly ConcurrentDictionary<string, GoldenModelFixture> Loaded = new();

    private readonly SafeTensorsFile _file;

    private GoldenModelFixture(string name)
    {
        _file = SafeTensors.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", "models", name + ".safetensors"));
        Config = ModelConfig.FromJson(_file.Metadata["config"]);
    }

    public static GoldenModelFixture Get(string name) => Loaded.GetOrAdd(name, n => new GoldenModelFixture(n));

    public ModelConfig Config { get; }

    /// <summary>A float64 scalar of the metadata: "loss", "reconstruction" or "kl".</summary>
    public double Scalar(string key) => double.Parse(_file.Metadata[key], CultureInfo.InvariantCulture);

    public SafeTensorsEntry this[string name] => _file[name];

    public bool Contains(string name) => _file.Contains(name);

    /// <summary>Names after <paramref name="prefix"/> ("state.", "grad.", "after.") of the tensors that carry it.</summary>
    public IEnumerable<string> NamesUnder(string prefix) => _file.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]);

    /// <summary>The model with the fixture's weights on <paramref name="backend"/>, in training mode.</summary>
    public AutoencoderModel Build(IBackend backend)
    {
        var model = ModelRegistry.Create(Config, 0, backend);
        var state = NamesUnder("state.").ToDictionary(n => n, n => (_file["state." + n].Shape, _file["state." + n].Data));
        model.LoadState(state, _file.Source);
        return model;
    }

    /// <summary>The images as a leaf that takes a gradient, the labels (null for an unconditional model) and the noise.</summary>
    public (Tensor X, int[]? Labels, Tensor Eps) Inputs(IBackend backend)
    {
        var x = _file["input.x"];
        int[]? labels = _file.TryGet("input.labels", out var l) ? l.Data.Select(v => (int)v).ToArray() : null;
        return (Init.Parameter(x.Shape, x.Data, backend), labels, TensorOf(backend, "input.eps"));
    }

    /// <summary>A stored tensor on <paramref name="backend"/>, taking no gradient.</summary>
    public Tensor TensorOf(IBackend backend, string name) => Tensor.FromArray(_file[name].Data, _file[name].Shape, backend);
}
