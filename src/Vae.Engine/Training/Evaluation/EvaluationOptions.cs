namespace Vae.Engine.Training.Evaluation;

/// <summary>How thoroughly to evaluate a trained model; the defaults keep it to seconds for the small models.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Importance samples per image for the IWAE estimate (Burda et al.); 1 gives the ELBO again.</summary>
    public int ImportanceSamples { get; init; } = 64;
    /// <summary>Images of the dataset to evaluate on, from the start; all when null.</summary>
    public int? MaxImages { get; init; }
    /// <summary>Images encoded at a time; the IWAE pass decodes BatchSize * ImportanceSamples codes at a time.</summary>
    public int BatchSize { get; init; } = 100;
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Seeds the latent noise: the same seed gives the same figures.</summary>
    public ulong Seed { get; init; }
    /// <summary>A latent dimension is active when the variance of its posterior mean over the data exceeds this (0.01 in Burda et al.).</summary>
    public double ActiveUnitThreshold { get; init; } = 0.01;

    public void Validate()
    {
        if (ImportanceSamples is < 1 or > 5000) throw new ArgumentException($"ImportanceSamples must be between 1 and 5000, got {ImportanceSamples}.");
        if (MaxImages is < 1) throw new ArgumentException($"MaxImages must be at least 1, got {MaxImages}.");
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {BatchSize}.");
        if (Threads < 1) throw new ArgumentException($"Threads must be at least 1, got {Threads}.");
        if (!(ActiveUnitThreshold >= 0)) throw new ArgumentException("ActiveUnitThreshold must not be negative.");
    }
}

/// <summary>
/// What an evaluation found, per image and in nats unless said otherwise. <see cref="Elbo"/> is the
/// evidence lower bound (beta 1, whatever the model trained with); <see cref="Iwae"/> the tighter
/// importance-weighted bound on log p(x); both are null for a plain autoencoder, which defines no
/// likelihood. <see cref="BitsPerDim"/> turns the best bound into bits per pixel value of 8-bit
/// data, for models with a continuous (Gaussian) likelihood.
/// </summary>
public sealed record EvaluationReport(
    int Images,
    double Reconstruction,
    double? Kl,
    double? Elbo,
    double? Iwae,
    int ImportanceSamples,
    int ActiveUnits,
    IReadOnlyList<double> LatentVariances,
    double? BitsPerDim,
    double Seconds);
