using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>Builds a model from its configuration; the one place that knows every model kind.</summary>
public static class ModelFactory
{
    public static AutoencoderModel Create(ModelConfig config, ulong seed = 0, IBackend? backend = null)
    {
        var generator = Generator.ForStream(seed, 0xC0FFEE);
        return config.Kind switch
        {
            ModelKind.Vae => new MlpVae(config, generator, backend),
            ModelKind.Autoencoder => new MlpAutoencoder(config, generator, backend),
            _ => throw new ArgumentOutOfRangeException(nameof(config), $"Unknown model kind {config.Kind}."),
        };
    }
}

/// <summary>The models of the tutorials the product grew from, as configurations.</summary>
public static class ModelPresets
{
    /// <summary>784-400-20, ReLU, Bernoulli likelihood: the compact MNIST VAE.</summary>
    public static ModelConfig CompactVae => new();

    /// <summary>784-400-2 with LeakyReLU and a Gaussian likelihood of fixed sigma: the 2-D latent VAE whose manifold is drawn.</summary>
    public static ModelConfig GaussianVae(float sigma = 1f) => new()
    {
        HiddenSizes = [400], LatentSize = 2, Activation = Activation.LeakyRelu, Likelihood = Likelihood.Gaussian, Sigma = sigma,
    };

    /// <summary>784-512-2 VAE for the side-by-side comparison with <see cref="Autoencoder2D"/>.</summary>
    public static ModelConfig Vae2D => new() { HiddenSizes = [512], LatentSize = 2 };

    /// <summary>784-512-2 plain autoencoder.</summary>
    public static ModelConfig Autoencoder2D => new() { Kind = ModelKind.Autoencoder, HiddenSizes = [512], LatentSize = 2 };
}
