using System.ComponentModel;
using Vae.Engine.Backends;

namespace Vae.Engine.Models.Mlp;

/// <summary>
/// A fully-connected model: hidden layers to the code and mirrored back. The defaults are the
/// compact MNIST VAE of the PyTorch example: 784-400-20, ReLU, Bernoulli likelihood.
/// </summary>
public sealed record MlpConfig : ModelConfig
{
    protected override string FamilyName => MlpFamily.FamilyName;

    [Description("Widths of the encoder's hidden layers, first to last; the decoder mirrors them.")]
    public int[] HiddenSizes { get; init; } = [400];

    [Description("Activation of the hidden layers: relu, leakyRelu, tanh or sigmoid.")]
    public Activation Activation { get; init; } = Activation.Relu;

    [Description("Slope of leakyRelu for negative inputs.")]
    public float NegativeSlope { get; init; } = 0.01f;

    public bool Equals(MlpConfig? other) => other is not null && base.Equals(other) && HiddenSizes.AsSpan().SequenceEqual(other.HiddenSizes)
        && Activation == other.Activation && NegativeSlope == other.NegativeSlope;

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), HiddenSizes.Length, Activation, NegativeSlope);
}
