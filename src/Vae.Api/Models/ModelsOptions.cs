namespace Vae.Api.Models;

/// <summary>Inference limits and cache ("Models" section).</summary>
public sealed class ModelsOptions
{
    public const string Section = "Models";
    /// <summary>Loaded models kept in memory.</summary>
    public int CacheSize { get; set; } = 8;
    /// <summary>
    /// Memory for the encoded bytes of sample grids and manifolds already served, which the same
    /// request gets again without decoding (every one is deterministic); 0 turns it off.
    /// </summary>
    public int RenderCacheMegabytes { get; set; } = 32;
    /// <summary>Engine threads per inference request.</summary>
    public int InferenceThreads { get; set; } = 1;
    public int MaxSamples { get; set; } = 256;
    public int MaxInterpolationSteps { get; set; } = 64;
    public int MaxManifoldSize { get; set; } = 40;
    public int MaxBatch { get; set; } = 256;
    public int MaxLatents { get; set; } = 10_000;
    public float MaxTemperature { get; set; } = 10f;
    /// <summary>Largest accepted request body in bytes.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;
    /// <summary>
    /// Importance samples (k) of an anomaly score when the request names none, and of the test-set
    /// distribution percentiles are read from. 16 keeps that distribution's one-off cost (ScoreImages x k
    /// decodes) to seconds for MLPs; more samples change a ranking little.
    /// </summary>
    public int ScoreSamples { get; set; } = 16;
    /// <summary>Most importance samples a score request may ask for.</summary>
    public int MaxScoreSamples { get; set; } = 256;
    /// <summary>Test images (spread evenly over the test split) whose scores make a model's reference distribution.</summary>
    public int ScoreImages { get; set; } = 1000;
    /// <summary>Test images of a class averaged for a direction between classes when the request names no limit.</summary>
    public int DirectionImages { get; set; } = 1000;
}
