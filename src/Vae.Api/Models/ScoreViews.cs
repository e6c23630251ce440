using System.ComponentModel;
using Vae.Api.Infrastructure;

namespace Vae.Api.Models;

/// <summary>
/// Images to score as JSON. One image (image/png, image/jpeg, image/webp or image/bmp) or a zip of
/// images (application/zip) can be sent as the body instead, with k, seed and label in the query.
/// </summary>
public sealed record ScoreRequest
{
    /// <summary>The images: each a base64 image string (PNG, JPEG, WebP or BMP) or a list of Channels*Height*Width pixel values in [0, 1], channel-major.</summary>
    public ImageInput[]? Images { get; init; }
    /// <summary>For a conditional model: one class label per image.</summary>
    public int[]? Labels { get; init; }
    /// <summary>For a conditional model: the class of every image (the query's label does the same).</summary>
    public int? Label { get; init; }
    /// <summary>Importance samples per image (the query's k does the same).</summary>
    public int? K { get; init; }
    /// <summary>Seed of the latent noise (the query's seed does the same).</summary>
    public long? Seed { get; init; }
}

/// <summary>How many importance samples score an image, and the seed of their noise.</summary>
public sealed record ScoreQuery(
    [property: Description("Importance samples per image for the IWAE estimate, 1 to Models:MaxScoreSamples (256 by default); by default Models:ScoreSamples (16), the k of the test-set distribution. A plain autoencoder ignores it.")] int? K = null,
    [property: Description("Seed of the latent noise: the same images with the same seed score the same."), DefaultValue(1L)] long? Seed = null)
    : IValidatedQuery<ModelsOptions>
{
    public QueryProblem? Validate(ModelsOptions limits) => CheckK(K, limits);

    internal static QueryProblem? CheckK(int? k, ModelsOptions limits)
        => k is int n && (n < 1 || n > limits.MaxScoreSamples) ? new("k", $"k must be between 1 and {limits.MaxScoreSamples} importance samples (Models:MaxScoreSamples), got {n}.") : null;
}

/// <summary>The bins of the histogram of a model's test-set scores.</summary>
public sealed record HistogramQuery(
    [property: Description("Bins between the lowest and the highest test score, 1 to 200."), DefaultValue(30)] int Bins = 30) : IValidatedQuery<ModelsOptions>
{
    public const int MaxBins = 200;

    public QueryProblem? Validate(ModelsOptions limits) => Bins is < 1 or > MaxBins ? new("bins", $"bins must be between 1 and {MaxBins}, got {Bins}.") : null;
}

/// <summary>How unusual one image is to the model, in nats (higher is more unusual).</summary>
/// <param name="Name">The zip entry the image came from; null for a PNG or JSON body.</param>
/// <param name="NegativeElbo">The negative ELBO, -log p(x|z) + KL(q(z|x) || p(z)) at beta 1; null for a plain autoencoder.</param>
/// <param name="NegativeIwae">The importance-weighted (IWAE) estimate of -log p(x) from k samples: an upper bound that tightens as k grows, below the negative ELBO; null for a plain autoencoder.</param>
/// <param name="Reconstruction">The reconstruction term -log p(x|z) in nats, averaged over the k draws of q(z|x) (for an autoencoder, at its code); not a mean squared error.</param>
/// <param name="Percentile">The share, in percent, of the model's test images that score lower on the measure: 99 means more unusual than 99 % of them. Null when the model's dataset cannot be read to make the distribution.</param>
public sealed record ImageScoreView(string? Name, double? NegativeElbo, double? NegativeIwae, double Reconstruction, double? Percentile);

/// <summary>The scores of the images sent, in their order.</summary>
/// <param name="Measure">What ranks the images and gives the percentile: "negativeIwae" for a VAE, "reconstruction" for a plain autoencoder.</param>
/// <param name="K">Importance samples per image of these scores; null for a plain autoencoder.</param>
/// <param name="Distribution">The test-set distribution the percentiles are read from; null when it could not be made.</param>
public sealed record ScoreResponse(IReadOnlyList<ImageScoreView> Scores, string Measure, int? K, long Seed, DistributionSummary? Distribution);

/// <summary>The test images a model's percentiles compare with.</summary>
/// <param name="Images">Test images scored, spread evenly over the model's test split.</param>
/// <param name="K">Importance samples of their scores (and of the figure an image's percentile is read from); null for a plain autoencoder.</param>
/// <param name="Measure">"negativeIwae" or "reconstruction".</param>
/// <param name="CreatedAt">When the distribution was computed; it is kept with the model after that.</param>
public sealed record DistributionSummary(int Images, int? K, string Measure, DateTimeOffset CreatedAt);

/// <summary>
/// The histogram of a model's test-set scores: bin i counts the scores from min + i * (max - min) / bins
/// up to the next bin's start (the last bin includes max).
/// </summary>
/// <param name="Measure">"negativeIwae" (nats, the IWAE estimate of -log p(x)) or "reconstruction" (nats, -log p(x|z), for a plain autoencoder).</param>
/// <param name="K">Importance samples per test image; null for a plain autoencoder.</param>
/// <param name="Median">The median test score: half of the test images score below it.</param>
public sealed record ScoreHistogram(int Bins, int[] Counts, double Min, double Max, double Median, int Images, int? K, string Measure, DateTimeOffset CreatedAt);
