using Vae.Engine.Backends;
using Vae.Engine.Models.Conv;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Models.ResNet;

namespace Vae.Engine.Models;

/// <summary>The models of the tutorials the product grew from, as configurations.</summary>
public static class ModelPresets
{
    /// <summary>784-400-20, ReLU, Bernoulli likelihood: the compact MNIST VAE (seed 003).</summary>
    public static MlpConfig CompactVae => new();

    /// <summary>784-400-2 with LeakyReLU and a Gaussian likelihood of fixed sigma: seed 000's 2-D latent VAE whose manifold is drawn.</summary>
    public static MlpConfig GaussianVae(float sigma = 1f) => new()
    {
        HiddenSizes = [400], LatentDim = 2, Activation = Activation.LeakyRelu, Likelihood = Likelihood.Gaussian, Sigma = sigma,
    };

    /// <summary>784-512-2 VAE for the side-by-side comparison with <see cref="Autoencoder2D"/> (seed 002).</summary>
    public static MlpConfig Vae2D => new() { HiddenSizes = [512], LatentDim = 2 };

    /// <summary>784-512-2 plain autoencoder (seed 002).</summary>
    public static MlpConfig Autoencoder2D => new() { Kind = ModelKind.Ae, HiddenSizes = [512], LatentDim = 2 };

    /// <summary>
    /// The latent size a conditional configuration gets when it names none. A wide latent also
    /// learns the class, and the decoder then listens to the label less: trained 10 epochs on
    /// MNIST, a conditional MLP draws the digit asked for in about 98% of samples with 4
    /// dimensions, 86% with 8 and 75% with 20 (judged by an independent classifier).
    /// </summary>
    public const int ConditionalLatentDim = 4;

    /// <summary>A conditional MLP VAE that draws the digit asked for: 784-512-4 with the label one-hot at both ends.</summary>
    public static MlpConfig ConditionalVae => new() { Conditional = true, HiddenSizes = [512], LatentDim = ConditionalLatentDim };

    /// <summary>The 28x28 convolutional VAE: two stride-2 convolutions, a 256-unit layer, a 16-d latent.</summary>
    public static ConvConfig ConvVae => new();

    /// <summary>The same convolutional VAE for 32x32 colour images (CIFAR-10).</summary>
    public static ConvConfig ConvVaeColour => new() { Channels = 3, Height = 32, Width = 32, Likelihood = Likelihood.GaussianLearnedScale };

    /// <summary>Seed 001's CIFAR-10 VAE: ResNet-18 encoder and decoder, 256-d latent, learned log-scale, Monte-Carlo KL.</summary>
    public static ResNetConfig ResNetVae => new();
}
