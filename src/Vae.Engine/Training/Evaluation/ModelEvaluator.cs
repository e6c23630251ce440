using System.Diagnostics;
using Vae.Engine.Backends;
using Vae.Engine.Data;
using Vae.Engine.Models;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Training.Evaluation;

/// <summary>
/// Measures a trained model on a dataset: the ELBO, the IWAE estimate of log p(x), the active
/// latent units and, for continuous likelihoods, bits per dimension. Runs in eval mode with no
/// graph, batch by batch on the caller's thread budget.
/// </summary>
public static class ModelEvaluator
{

    public static EvaluationReport Evaluate(AutoencoderModel model, ImageDataset data, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EvaluationOptions();
        options.Validate();
        if (data.Count == 0) throw new ArgumentException($"Dataset '{data.Name}' has no images to evaluate on.");
        if (model.Config.InputSize != data.FeatureCount)
            throw new ArgumentException($"The model takes {model.Config.InputSize} values per image; '{data.Name}' has {data.FeatureCount}.");
        var subset = options.MaxImages is { } max ? data.Take(max) : data;
        var watch = Stopwatch.StartNew();
        bool variational = model.IsVariational, wasTraining = model.Training;
        int k = variational ? options.ImportanceSamples : 1, latent = model.LatentDim;

        var noise = Generator.ForStream(options.Seed, 0x1A7E);
        var loader = new BatchLoader(subset, options.BatchSize);
        loader.Arrange(null);
        double reconstruction = 0, kl = 0, iwae = 0;
        var meanSums = new double[latent];
        var meanSquares = new double[latent];
        using var threads = ThreadBudget.Use(options.Threads);
        using var noGrad = Autograd.NoGrad();
        model.Eval();
        try
        {
            for (int b = 0; b < loader.BatchCount; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = TensorScope.Begin();
                var (x, labels) = loader.Load(b, model.Backend);
                var loss = model.Loss(x, labels, noise);
                reconstruction += loss.Reconstruction.Item();
                kl += loss.Kl.Item();

                var (mu, logVar) = model.Encode(x, labels);
                var means = mu.ToArray();
                for (int i = 0; i < means.Length; i++)
                {
                    meanSums[i % latent] += means[i];
                    meanSquares[i % latent] += (double)means[i] * means[i];
                }
                if (variational && k > 0)
                {
                    int batch = x.Shape[0];
                    var logMarginals = new double[batch];
                    ImportanceWeighted(model, x, labels, mu, logVar!, k, (_, count) => Tensor.RandN(noise, [count, batch, latent], model.Backend),
                        logMarginals, new double[batch]);
                    iwae += logMarginals.Sum();
                }
            }
        }
        finally
        {
            model.Train(wasTraining);
        }

        int n = subset.Count;
        var variances = new double[latent];
        for (int d = 0; d < latent; d++)
        {
            double mean = meanSums[d] / n;
            variances[d] = Math.Max(0, meanSquares[d] / n - mean * mean);
        }
        int active = variances.Count(v => v > options.ActiveUnitThreshold);
        double? elbo = variational ? -(reconstruction + kl) / n : null;
        double? logLikelihood = variational ? iwae / n : null;
        double? bits = null;
        if (logLikelihood is { } ll && model.Config.Likelihood != Likelihood.Bernoulli)
        {
            // p of 8-bit data = density of the [0, 1] values x (1/256)^D: NLL + D ln 256, in bits per value.
            int dims = model.Config.InputSize;
            bits = (-ll + dims * Math.Log(256)) / (dims * Math.Log(2));
        }
        return new EvaluationReport(n, reconstruction / n, variational ? kl / n : null, elbo, logLikelihood, variational ? k : 0, active, variances, bits, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// How unusual each image of <paramref name="data"/> (the first MaxImages of them) is to the
    /// model: see <see cref="Score(AutoencoderModel, ReadOnlySpan{float}, int, int[], EvaluationOptions, CancellationToken)"/>.
    /// A conditional model reads each image under its own label.
    /// </summary>
    public static ImageScore[] Score(AutoencoderModel model, ImageDataset data, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EvaluationOptions();
        var subset = options.MaxImages is { } max ? data.Take(max) : data;
        if (model.Config.InputSize != subset.FeatureCount)
            throw new ArgumentException($"The model takes {model.Config.InputSize} values per image; '{data.Name}' has {subset.FeatureCount}.");
        var pixels = new float[subset.Count * subset.FeatureCount];
        var indices = Enumerable.Range(0, subset.Count).ToArray();
        subset.CopyBatch(indices, pixels);
        int[]? labels = null;
        if (model.IsConditional)
        {
            labels = new int[subset.Count];
            subset.CopyLabels(indices, labels);
        }
        return Score(model, pixels, subset.Count, labels, options, cancellationToken);
    }

    /// <summary>
    /// Per image of <paramref name="images"/> (<paramref name="count"/> rows of Channels*Height*Width
    /// values in [0, 1]; one label each for a conditional model), in nats: the reconstruction term
    /// -log p(x|z) and, for a VAE, the negative ELBO (that term plus the closed-form KL, beta 1) and
    /// the IWAE estimate of -log p(x) from <see cref="EvaluationOptions.ImportanceSamples"/> draws of
    /// q(z|x) (the reconstruction term is their mean). A plain autoencoder has no likelihood of x:
    /// its reconstruction term is -log p(x|z) at its code, and the other two are null. Batched, with
    /// no graph, each batch in its own tensor scope. Each image's noise comes from the seed and its
    /// place among the images, so an image scores the same however the images are batched.
    /// </summary>
    public static ImageScore[] Score(AutoencoderModel model, ReadOnlySpan<float> images, int count, int[]? labels, EvaluationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new EvaluationOptions();
        options.Validate();
        int features = model.Config.InputSize, latent = model.LatentDim;
        if (images.Length != count * features)
            throw new ArgumentException($"{count} images of {features} values need {count * features} values, got {images.Length}.", nameof(images));
        if (model.IsConditional && labels?.Length != count)
            throw new ArgumentException($"This model is conditional: give one label per image ({count}).", nameof(labels));
        bool variational = model.IsVariational, wasTraining = model.Training;
        int k = options.ImportanceSamples;
        var scores = new ImageScore[count];
        using var threads = ThreadBudget.Use(options.Threads);
        using var noGrad = Autograd.NoGrad();
        model.Eval();
        try
        {
            for (int start = 0; start < count; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(options.BatchSize, count - start);
                int[]? batchLabels = labels?[start..(start + rows)];
                using var scope = TensorScope.Begin();
                var x = Tensor.FromArray(images.Slice(start * features, rows * features), [rows, .. model.ImageShape], model.Backend); // (B, C, H, W)
                var (mu, logVar) = model.Encode(x, batchLabels);
                if (!variational)
                {
                    var logLikelihood = model.LogLikelihood(model.DecodeRaw(mu, batchLabels), x).ToArray(); // (B)
                    for (int i = 0; i < rows; i++) scores[start + i] = new ImageScore(-logLikelihood[i], null, null);
                    continue;
                }
                var logMarginals = new double[rows];
                var meanLogLikelihoods = new double[rows];
                var noise = new Generator[rows];
                for (int i = 0; i < rows; i++) noise[i] = Generator.ForStream(options.Seed, ScoreStream + (ulong)(start + i));
                ImportanceWeighted(model, x, batchLabels, mu, logVar!, k, (_, count) => NoisePerImage(noise, count, latent, model.Backend),
                    logMarginals, meanLogLikelihoods);
                var muHost = mu.ToArray();
                var logVarHost = logVar!.ToArray();
                for (int i = 0; i < rows; i++)
                {
                    // KL(q(z|x) || N(0, I)) = 0.5 sum_d (mu^2 + sigma^2 - 1 - log sigma^2) (Kingma and Welling, appendix B).
                    double kl = 0;
                    for (int d = 0; d < latent; d++)
                    {
                        double m = muHost[i * latent + d], v = logVarHost[i * latent + d];
                        kl += 0.5 * (m * m + Math.Exp(v) - 1 - v);
                    }
                    double reconstruction = -meanLogLikelihoods[i];
                    scores[start + i] = new ImageScore(reconstruction, reconstruction + kl, -logMarginals[i]);
                }
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return scores;
    }

    /// <summary>
    /// Per image of the batch: <paramref name="logMarginals"/>[i] = log (1/k sum_j w_j), w_j = p(x|z_j) p(z_j) / q(z_j|x)
    /// for k draws z_j ~ q(z|x), the IWAE bound of Burda, Grosse and Salakhutdinov (2016); and
    /// <paramref name="meanLogLikelihoods"/>[i] = 1/k sum_j log p(x|z_j), the ELBO's reconstruction term
    /// from the same draws. The k draws of all images decode as one batch (in slices that bound
    /// memory); the log-mean-exp runs in double on the host. <paramref name="drawNoise"/>(first, count)
    /// gives the standard-normal noise of draws first..first+count-1 of every image, (count, B, L).
    /// </summary>
    private static void ImportanceWeighted(AutoencoderModel model, Tensor x, int[]? labels, Tensor mu, Tensor logVar, int k, Func<int, int, Tensor> drawNoise,
        Span<double> logMarginals, Span<double> meanLogLikelihoods)
    {
        int batch = x.Shape[0], latent = model.LatentDim;
        var images = x.Rank == 4 ? x : F.Reshape(x, batch, model.Config.Channels, model.Config.Height, model.Config.Width);
        var logWeights = new double[batch * k]; // (image, sample)
        meanLogLikelihoods[..batch].Clear();
        var muHost = mu.ToArray();
        var logVarHost = logVar.ToArray();
        // Samples are drawn sample-major: draw s of every image at once, so a slice decodes sum(images) codes.
        int perSlice = Math.Max(1, 4096 / Math.Max(1, batch));
        for (int first = 0; first < k; first += perSlice)
        {
            int count = Math.Min(perSlice, k - first);
            using var scope = TensorScope.Begin();
            var eps = drawNoise(first, count);                                      // (S, B, L) standard normal
            var z = F.Add(F.Mul(eps, F.Exp(F.MulScalar(logVar, 0.5f))), mu);        // broadcast over S
            var flatZ = F.Reshape(z, count * batch, latent);
            int[]? repeatedLabels = model.IsConditional ? Enumerable.Range(0, count).SelectMany(_ => labels!).ToArray() : null;
            var output = model.DecodeRaw(flatZ, repeatedLabels);
            var repeatedImages = F.Reshape(F.Expand(F.Unsqueeze(images, 0), count, batch, images.Shape[1], images.Shape[2], images.Shape[3]),
                count * batch, images.Shape[1], images.Shape[2], images.Shape[3]);
            var logLikelihood = model.LogLikelihood(output, repeatedImages).ToArray(); // (S*B)
            var epsHost = eps.ToArray();
            var zHost = z.ToArray();
            for (int s = 0; s < count; s++)
                for (int i = 0; i < batch; i++)
                {
                    // log p(z) - log q(z|x) = sum_d -0.5 z^2 + 0.5 eps^2 + 0.5 logvar (the 2 pi terms cancel).
                    double prior = 0;
                    for (int d = 0; d < latent; d++)
                    {
                        int at = (s * batch + i) * latent + d;
                        double zd = zHost[at], ed = epsHost[at];
                        prior += -0.5 * zd * zd + 0.5 * ed * ed + 0.5 * logVarHost[i * latent + d];
                    }
                    logWeights[i * k + first + s] = logLikelihood[s * batch + i] + prior;
                    meanLogLikelihoods[i] += logLikelihood[s * batch + i] / k;
                }
        }
        for (int i = 0; i < batch; i++) logMarginals[i] = LogMeanExp(logWeights.AsSpan(i * k, k));
    }

    // Streams of the per-image noise of Score, apart from the evaluation's.
    private const ulong ScoreStream = 0x5C0E_0000_0000;

    /// <summary>The next <paramref name="count"/> draws of each image's own generator, laid out (count, B, L).</summary>
    private static Tensor NoisePerImage(Generator[] perImage, int count, int latent, IBackend backend)
    {
        int batch = perImage.Length;
        var host = new float[count * batch * latent];
        for (int i = 0; i < batch; i++)
        {
            var draws = Tensor.RandN(perImage[i], [count, latent], backend).ToArray(); // (S, L)
            for (int s = 0; s < count; s++) draws.AsSpan(s * latent, latent).CopyTo(host.AsSpan(((s * batch) + i) * latent, latent));
        }
        return Tensor.FromArray(host, [count, batch, latent], backend);
    }

    private static double LogMeanExp(ReadOnlySpan<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values) max = Math.Max(max, v);
        if (double.IsNegativeInfinity(max) || double.IsNaN(max)) return max;
        double sum = 0;
        foreach (double v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum / values.Length);
    }
}
