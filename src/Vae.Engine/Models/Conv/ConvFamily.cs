using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models.Conv;

/// <summary>The convolutional family: shared/peers/conv_vae_torch.py's model and its colour variant.</summary>
public sealed class ConvFamily : ModelFamily<ConvConfig>
{
    public const string FamilyName = "conv";

    public override string Name => FamilyName;
    public override string Description => "Stride-2 convolutions down to a dense layer and back up with transposed convolutions: sharper digits than the MLP for about the same cost.";

    public override IReadOnlyDictionary<string, ModelConfig> Examples { get; } = new Dictionary<string, ModelConfig>
    {
        ["28x28 gray"] = ModelPresets.ConvVae,
        ["32x32 colour"] = ModelPresets.ConvVaeColour,
        ["conditional"] = ModelPresets.ConvVae with { Conditional = true },
    };

    public override TrainingRecipe Recipe { get; } = new(1e-3f, 128, AverageOverBatch: false);

    protected override void ValidateFamily(ConvConfig c, List<ConfigProblem> problems)
    {
        if (c.ConvChannels is not { Length: >= 1 and <= 5 } || c.ConvChannels.Any(ch => ch is < 1 or > 1024))
        {
            problems.Add(new("convChannels", "must list 1 to 5 channel counts, each between 1 and 1024."));
            return;
        }
        int factor = 1 << c.ConvChannels.Length;
        if (c.Height % factor != 0 || c.Width % factor != 0)
            problems.Add(new("convChannels", $"{c.ConvChannels.Length} stride-2 layers need height and width divisible by {factor}; the input is {c.Height}x{c.Width}."));
        if (c.DenseSize is < 1 or > 8192) problems.Add(new("denseSize", $"must be between 1 and 8192, got {c.DenseSize}."));
    }

    protected override long CountParameters(ConvConfig c)
    {
        int label = c.Conditional ? c.ClassCount : 0, flat = FlatSize(c);
        long count = 0;
        int channels = c.Channels;
        foreach (int ch in c.ConvChannels) { count += Conv2d.CountParameters(channels, ch, 4); channels = ch; }
        count += Linear.CountParameters(flat + label, c.DenseSize) + HeadParameters(c, c.DenseSize);
        count += Linear.CountParameters(c.LatentDim + label, c.DenseSize) + Linear.CountParameters(c.DenseSize, flat);
        for (int i = c.ConvChannels.Length - 1; i >= 0; i--)
            count += Conv2d.CountParameters(c.ConvChannels[i], i == 0 ? c.Channels : c.ConvChannels[i - 1], 4);
        return count;
    }

    /// <summary>Values out of the last convolution: channels x (H / 2^n) x (W / 2^n).</summary>
    internal static int FlatSize(ConvConfig c) => c.ConvChannels[^1] * (c.Height >> c.ConvChannels.Length) * (c.Width >> c.ConvChannels.Length);

    protected override AutoencoderModel Build(ConvConfig config, Generator generator, IBackend backend) => new ConvModel(config, generator, backend);
}
