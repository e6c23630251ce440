using System.Text.Json;
using System.Text.Json.Serialization;
using Vae.Engine.Backends;

namespace Vae.Engine.Models;

public enum ModelKind { Vae, Autoencoder }

/// <summary>p(x | z): Bernoulli (binary cross-entropy on logits) or Gaussian with a fixed sigma.</summary>
public enum Likelihood { Bernoulli, Gaussian }

/// <summary>
/// Everything needed to rebuild a model: stored in checkpoints and sent over the API.
/// Defaults are the compact MNIST VAE: 784-400-20, ReLU, Bernoulli likelihood, beta 1.
/// </summary>
public sealed record ModelConfig
{
    public ModelKind Kind { get; init; } = ModelKind.Vae;
    /// <summary>Input as (channels, height, width); fully-connected models flatten it.</summary>
    public int Channels { get; init; } = 1;
    public int Height { get; init; } = 28;
    public int Width { get; init; } = 28;
    /// <summary>Encoder hidden layer widths, first to last; the decoder mirrors them.</summary>
    public int[] HiddenSizes { get; init; } = [400];
    public int LatentSize { get; init; } = 20;
    public Activation Activation { get; init; } = Activation.Relu;
    public float NegativeSlope { get; init; } = 0.01f;
    public Likelihood Likelihood { get; init; } = Likelihood.Bernoulli;
    /// <summary>Standard deviation of the Gaussian likelihood; unused for Bernoulli.</summary>
    public float Sigma { get; init; } = 1f;
    /// <summary>Weight of the KL term (beta-VAE); unused by autoencoders.</summary>
    public float Beta { get; init; } = 1f;

    [JsonIgnore] public int InputSize => Channels * Height * Width;

    /// <summary>Checks every value, naming the first one out of range.</summary>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1) throw new ArgumentException($"Input shape ({Channels}, {Height}, {Width}) must be positive.");
        if (HiddenSizes is null || HiddenSizes.Length == 0 || HiddenSizes.Any(h => h < 1 || h > 65536))
            throw new ArgumentException("HiddenSizes needs at least one layer, each between 1 and 65536 units.");
        if (LatentSize < 1 || LatentSize > 4096) throw new ArgumentException($"LatentSize must be between 1 and 4096, got {LatentSize}.");
        if (Activation is not (Activation.Relu or Activation.LeakyRelu or Activation.Tanh or Activation.Sigmoid))
            throw new ArgumentException($"Activation {Activation} cannot be used for hidden layers.");
        if (!float.IsFinite(NegativeSlope) || NegativeSlope < 0) throw new ArgumentException("NegativeSlope must be a finite non-negative number.");
        if (Likelihood == Likelihood.Gaussian && (!float.IsFinite(Sigma) || Sigma <= 0)) throw new ArgumentException($"Sigma must be a positive finite number, got {Sigma}.");
        if (!float.IsFinite(Beta) || Beta < 0) throw new ArgumentException($"Beta must be a finite non-negative number, got {Beta}.");
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ModelConfig FromJson(string json)
        => JsonSerializer.Deserialize<ModelConfig>(json, Json) ?? throw new InvalidDataException("The model configuration is empty.");
}

public static class ModelConfigExtensions
{
    /// <summary>Same layers and sizes, so weights of one fit the other.</summary>
    public static bool SameArchitecture(this ModelConfig a, ModelConfig b)
        => a.Kind == b.Kind && a.InputSize == b.InputSize && a.LatentSize == b.LatentSize && a.HiddenSizes.AsSpan().SequenceEqual(b.HiddenSizes)
           && a.Likelihood == b.Likelihood && a.Activation == b.Activation;
}
