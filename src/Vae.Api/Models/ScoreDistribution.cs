namespace Vae.Api.Models;

/// <summary>
/// A model's scores of its own test images, sorted, as stored beside its weights: what an image's
/// percentile is read from and the page's histogram is drawn from.
/// </summary>
/// <param name="Measure">"negativeIwae" for a VAE, "reconstruction" for a plain autoencoder (see <see cref="ImageScoreView"/>).</param>
/// <param name="K">Importance samples per image; null for a plain autoencoder.</param>
/// <param name="Seed">Seed of the latent noise.</param>
/// <param name="Seconds">How long scoring the test images took.</param>
/// <param name="Scores">The test images' scores, ascending.</param>
public sealed record ScoreDistribution(string Measure, int? K, ulong Seed, double Seconds, DateTimeOffset CreatedAt, double[] Scores)
{
    public const string NegativeIwae = "negativeIwae";
    public const string Reconstruction = "reconstruction";

    public int Images => Scores.Length;

    /// <summary>The share of test scores below <paramref name="score"/>, in percent.</summary>
    public double Percentile(double score)
    {
        // The first index whose score is not below: that many test scores are lower.
        int lo = 0, hi = Scores.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Scores[mid] < score) lo = mid + 1;
            else hi = mid;
        }
        return 100.0 * lo / Scores.Length;
    }

    public DistributionSummary Summary => new(Images, K, Measure, CreatedAt);

    /// <summary>Counts in <paramref name="bins"/> equal bins from the lowest score to the highest (the last bin includes it).</summary>
    public ScoreHistogram Histogram(int bins)
    {
        double min = Scores[0], max = Scores[^1], width = (max - min) / bins;
        var counts = new int[bins];
        foreach (double score in Scores)
            counts[width > 0 ? Math.Min(bins - 1, (int)((score - min) / width)) : 0]++;
        int n = Scores.Length;
        double median = n % 2 == 1 ? Scores[n / 2] : (Scores[(n / 2) - 1] + Scores[n / 2]) / 2;
        return new ScoreHistogram(bins, counts, min, max, median, n, K, Measure, CreatedAt);
    }
}
