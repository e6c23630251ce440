using System.ComponentModel;

namespace Vae.Engine.Models.Conv;

/// <summary>
/// A convolutional model: stride-2 4x4 convolutions halving the image, a dense layer, the code,
/// and the mirror image with transposed convolutions. The defaults are the 28x28 MNIST conv VAE
/// (1-32-64 channels, 256 units, a 16-d latent); with 3 channels and 32x32 it takes CIFAR-10.
/// </summary>
public sealed record ConvConfig : ModelConfig
{
    public ConvConfig() => LatentDim = 16;

    protected override string FamilyName => ConvFamily.FamilyName;

    [Description("Output channels of each stride-2 convolution, first to last; each halves the image, so height and width must divide by 2 per layer.")]
    public int[] ConvChannels { get; init; } = [32, 64];

    [Description("Units of the dense layer between the convolutions and the code.")]
    public int DenseSize { get; init; } = 256;

    public bool Equals(ConvConfig? other) => other is not null && base.Equals(other) && ConvChannels.AsSpan().SequenceEqual(other.ConvChannels) && DenseSize == other.DenseSize;

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), ConvChannels.Length, DenseSize);
}
