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
                if (variational && k > 0) iwae += ImportanceWeightedSum(model, x, labels, mu, logVar!, k, noise);
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
    /// Sum over the batch of log (1/k sum_i w_i), w_i = p(x|z_i) p(z_i) / q(z_i|x) for k draws z_i ~ q(z|x):
    /// the IWAE bound of Burda, Grosse and Salakhutdinov (2016). The k draws of all images decode as
    /// one batch (in slices that bound memory); the log-mean-exp runs in double on the host.
    /// </summary>
    private static double ImportanceWeightedSum(AutoencoderModel model, Tensor x, int[] labels, Tensor mu, Tensor logVar, int k, Generator noise)
    {
        int batch = x.Shape[0], latent = model.LatentDim;
        var images = x.Rank == 4 ? x : F.Reshape(x, batch, model.Config.Channels, model.Config.Height, model.Config.Width);
        var logWeights = new double[batch * k]; // (image, sample)
        var muHost = mu.ToArray();
        var logVarHost = logVar.ToArray();
        // Samples are drawn sample-major: draw s of every image at once, so a slice decodes sum(images) codes.
        int perSlice = Math.Max(1, 4096 / Math.Max(1, batch));
        for (int first = 0; first < k; first += perSlice)
        {
            int count = Math.Min(perSlice, k - first);
            using var scope = TensorScope.Begin();
            var eps = Tensor.RandN(noise, [count, batch, latent], model.Backend);   // (S, B, L)
            var z = F.Add(F.Mul(eps, F.Exp(F.MulScalar(logVar, 0.5f))), mu);        // broadcast over S
            var flatZ = F.Reshape(z, count * batch, latent);
            int[]? repeatedLabels = model.IsConditional ? Enumerable.Range(0, count).SelectMany(_ => labels).ToArray() : null;
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
                }
        }
        double total = 0;
        for (int i = 0; i < batch; i++) total += LogMeanExp(logWeights.AsSpan(i * k, k));
        return total;
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
