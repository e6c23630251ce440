using System.ComponentModel;

namespace Vae.Engine.Models.ResNet;

/// <summary>
/// Seed 001's CIFAR-10 VAE: a ResNet-18 encoder for small images (3x3 stem with stride 1, no max
/// pool, four stages of basic blocks at 64/128/256/512 channels, strides 1/2/2/2, batch norm,
/// global average pooling), linear heads to a 256-d code, and the mirrored ResNet-18 decoder whose
/// upsampling blocks use nearest-neighbour upsampling before a 3x3 conv. Gaussian likelihood with
/// one learned log-scale, Monte-Carlo KL.
/// </summary>
public sealed record ResNetConfig : ModelConfig
{
    public ResNetConfig()
    {
        LatentDim = 256;
        Channels = 3;
        Height = 32;
        Width = 32;
        Likelihood = Likelihood.GaussianLearnedScale;
        Kl = KlEstimator.MonteCarlo;
    }

    protected override string FamilyName => ResNetFamily.FamilyName;

    [Description("Channels of each encoder stage (the decoder mirrors them); every stage after the first halves the image.")]
    public int[] Widths { get; init; } = [64, 128, 256, 512];

    [Description("Residual blocks per stage: 2 is ResNet-18.")]
    public int BlocksPerStage { get; init; } = 2;

    public bool Equals(ResNetConfig? other) => other is not null && base.Equals(other) && Widths.AsSpan().SequenceEqual(other.Widths) && BlocksPerStage == other.BlocksPerStage;

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Widths.Length, BlocksPerStage);
}
