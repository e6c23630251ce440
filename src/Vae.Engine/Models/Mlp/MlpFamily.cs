using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models.Mlp;

/// <summary>The fully-connected family: seeds 000, 002 and 003's models.</summary>
public sealed class MlpFamily : ModelFamily<MlpConfig>
{
    public const string FamilyName = "mlp";
    public const int MaxHiddenLayers = 8;
    public const int MaxHiddenSize = 8192;

    public override string Name => FamilyName;
    public override string Description => "Fully-connected layers between the flattened image and the code: the classic MNIST VAE.";

    public override IReadOnlyDictionary<string, ModelConfig> Examples { get; } = new Dictionary<string, ModelConfig>
    {
        ["compact"] = ModelPresets.CompactVae,
        ["2-d latent"] = ModelPresets.Vae2D,
        ["gaussian, 2-d latent"] = ModelPresets.GaussianVae(),
        ["autoencoder, 2-d code"] = ModelPresets.Autoencoder2D,
        ["conditional"] = ModelPresets.ConditionalVae,
    };

    public override TrainingRecipe Recipe { get; } = new(1e-3f, 128, AverageOverBatch: false);

    /// <summary>A 2-d code, which can be drawn as a plane (the manifold, the codes of the test images), on a narrower layer that trains fast.</summary>
    public override ModelConfig Starter { get; } = new MlpConfig { HiddenSizes = [256], LatentDim = 2 };

    protected override void ValidateFamily(MlpConfig c, List<ConfigProblem> problems)
    {
        if (c.HiddenSizes is not { Length: >= 1 and <= MaxHiddenLayers } || c.HiddenSizes.Any(h => h is < 1 or > MaxHiddenSize))
            problems.Add(new("hiddenSizes", $"must list 1 to {MaxHiddenLayers} layer widths, each between 1 and {MaxHiddenSize}."));
        if (c.Activation is not (Activation.Relu or Activation.LeakyRelu or Activation.Tanh or Activation.Sigmoid))
            problems.Add(new("activation", "must be relu, leakyRelu, tanh or sigmoid."));
        if (!(float.IsFinite(c.NegativeSlope) && c.NegativeSlope >= 0))
            problems.Add(new("negativeSlope", $"must be a finite number of at least 0, got {c.NegativeSlope}."));
    }

    protected override long CountParameters(MlpConfig c)
    {
        int label = c.Conditional ? c.ClassCount : 0;
        long count = 0;
        int width = c.InputSize + label;
        foreach (int h in c.HiddenSizes) { count += Linear.CountParameters(width, h); width = h; }
        count += HeadParameters(c, width);
        width = c.LatentDim + label;
        for (int i = c.HiddenSizes.Length - 1; i >= 0; i--) { count += Linear.CountParameters(width, c.HiddenSizes[i]); width = c.HiddenSizes[i]; }
        return count + Linear.CountParameters(width, c.InputSize);
    }

    /// <summary>
    /// A one-hidden-layer VAE is seed 003's model, whose PyTorch module names are fc1 (encoder),
    /// fc21 (mean), fc22 (log-variance), fc3 (decoder) and fc4 (output): its state_dict loads as it is.
    /// </summary>
    protected override IReadOnlyDictionary<string, string> Aliases(MlpConfig config)
    {
        var aliases = new Dictionary<string, string>();
        if (config.HiddenSizes.Length != 1 || !config.IsVariational) return aliases;
        foreach (var (torch, ours) in new[] { ("fc1", "encoder.0"), ("fc21", "mu"), ("fc22", "logvar"), ("fc3", "decoder.0"), ("fc4", "output") })
        {
            aliases[torch + ".weight"] = ours + ".weight";
            aliases[torch + ".bias"] = ours + ".bias";
        }
        return aliases;
    }

    protected override AutoencoderModel Build(MlpConfig config, Generator generator, IBackend backend) => new MlpModel(config, generator, backend);
}
