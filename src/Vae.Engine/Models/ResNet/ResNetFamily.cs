using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models.ResNet;

/// <summary>The ResNet family: seed 001's ResNet-18 VAE, exactly as shared/peers/seed001_resnet_vae_torch.py builds it.</summary>
public sealed class ResNetFamily : ModelFamily<ResNetConfig>
{
    public const string FamilyName = "resnet";

    public override string Name => FamilyName;
    public override string Description => "ResNet-18 encoder and decoder with batch norm (seed 001's CIFAR-10 VAE): the strongest model here, and by far the slowest to train on a CPU.";

    public override IReadOnlyDictionary<string, ModelConfig> Examples { get; } = new Dictionary<string, ModelConfig>
    {
        ["seed 001 (CIFAR-10)"] = ModelPresets.ResNetVae,
        ["small (quick trials)"] = ModelPresets.ResNetVae with { Widths = [16, 32, 64, 128], BlocksPerStage = 1, LatentDim = 64 },
        ["28x28 gray"] = ModelPresets.ResNetVae with { Channels = 1, Height = 28, Width = 28, Widths = [32, 64, 128], LatentDim = 32 },
    };

    // An epoch of CIFAR-10 takes the better part of an hour on a CPU: an example trains one.
    public override TrainingRecipe Recipe { get; } = new(1e-4f, 128, AverageOverBatch: true, ExampleEpochs: 1);

    protected override void ValidateFamily(ResNetConfig c, List<ConfigProblem> problems)
    {
        if (c.Widths is not { Length: >= 2 and <= 5 } || c.Widths.Any(w => w is < 1 or > 2048))
        {
            problems.Add(new("widths", "must list 2 to 5 stage widths, each between 1 and 2048."));
            return;
        }
        if (c.BlocksPerStage is < 1 or > 8) problems.Add(new("blocksPerStage", $"must be between 1 and 8, got {c.BlocksPerStage}."));
        int factor = 1 << (c.Widths.Length - 1);
        if (c.Height % factor != 0 || c.Width % factor != 0)
            problems.Add(new("widths", $"{c.Widths.Length} stages halve the image {c.Widths.Length - 1} times, so height and width must divide by {factor}; the input is {c.Height}x{c.Width}."));
    }

    /// <summary>(out channels, stride) of each encoder block.</summary>
    internal static IEnumerable<(int In, int Out, int Stride)> EncoderBlocks(ResNetConfig c)
    {
        int channels = c.Widths[0];
        for (int s = 0; s < c.Widths.Length; s++)
            for (int b = 0; b < c.BlocksPerStage; b++)
            {
                yield return (channels, c.Widths[s], b == 0 && s > 0 ? 2 : 1);
                channels = c.Widths[s];
            }
    }

    /// <summary>(out channels, upsampling) of each decoder block: the encoder's widths in reverse, then the first width again.</summary>
    internal static IEnumerable<(int In, int Out, int Up)> DecoderBlocks(ResNetConfig c)
    {
        int stages = c.Widths.Length, channels = c.Widths[^1];
        for (int s = 0; s < stages; s++)
        {
            int output = s < stages - 1 ? c.Widths[stages - 2 - s] : c.Widths[0];
            for (int b = 0; b < c.BlocksPerStage; b++)
            {
                yield return (channels, output, b == 0 && s < stages - 1 ? 2 : 1);
                channels = output;
            }
        }
    }

    protected override long CountParameters(ResNetConfig c)
    {
        int label = c.Conditional ? c.ClassCount : 0, top = c.Widths[^1], cells = BottleneckCells(c);
        long count = Conv2d.CountParameters(c.Channels, c.Widths[0], 3, bias: false) + BatchNorm.CountParameters(c.Widths[0]);
        foreach (var (i, o, s) in EncoderBlocks(c)) count += ResidualBlock.CountParameters(i, o, s, 1, decoder: false);
        count += HeadParameters(c, top + label);
        count += Linear.CountParameters(c.LatentDim + label, top * cells);
        foreach (var (i, o, u) in DecoderBlocks(c)) count += ResidualBlock.CountParameters(i, o, 1, u, decoder: true);
        return count + Conv2d.CountParameters(c.Widths[0], c.Channels, 3, bias: false);
    }

    /// <summary>Pixels of the smallest feature map: (H / 2^(stages-1)) * (W / 2^(stages-1)).</summary>
    internal static int BottleneckCells(ResNetConfig c) => (c.Height >> (c.Widths.Length - 1)) * (c.Width >> (c.Widths.Length - 1));

    protected override AutoencoderModel Build(ResNetConfig config, Generator generator, IBackend backend) => new ResNetModel(config, generator, backend);
}
