using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Engine.Backends;
using Vae.Engine.Data;
using Vae.Engine.Models;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Api.Models;

/// <summary>
/// The model math behind the endpoints (<see cref="ModelImages"/> turns pictures into rows and back).
/// Every forward pass runs with no autograd graph, in a tensor scope whose buffers go back to the
/// pool, on the configured thread budget, and without awaiting in between (the three scopes belong
/// to the current thread). Models are only read, so any number of requests may share one.
/// </summary>
public sealed class InferenceService(IOptions<ModelsOptions> options, DatasetCatalog datasets)
{
    // Bounds the tensors of one forward pass when a whole dataset split is encoded.
    private const int ChunkRows = 1000;

    private readonly int _threads = options.Value.InferenceThreads;

    // ---- forward passes ----

    /// <summary>
    /// Posterior means (count x latent) and, for a VAE, log-variances, of <paramref name="count"/>
    /// input rows; <paramref name="labels"/> holds one class per row for a conditional model, else null.
    /// </summary>
    public (float[] Mu, float[]? LogVar) Encode(AutoencoderModel model, ReadOnlySpan<float> inputs, int count, int[]? labels)
    {
        int features = model.Config.InputSize, latent = model.LatentDim;
        var mu = new float[count * latent];
        float[]? logVar = model.IsVariational ? new float[count * latent] : null;
        using (Autograd.NoGrad())
        using (ThreadBudget.Use(_threads))
        {
            for (int start = 0; start < count; start += ChunkRows)
            {
                int rows = Math.Min(ChunkRows, count - start);
                using (TensorScope.Begin())
                {
                    var x = Tensor.FromArray(inputs.Slice(start * features, rows * features), [rows, features], model.Backend);
                    var (m, v) = model.Encode(x, Chunk(labels, start, rows));
                    m.CopyTo(mu.AsSpan(start * latent, rows * latent));
                    if (logVar is not null) v?.CopyTo(logVar.AsSpan(start * latent, rows * latent));
                }
            }
        }
        return (mu, logVar);
    }

    /// <summary>
    /// Decodes <paramref name="count"/> latent rows into <paramref name="images"/> (count x InputSize,
    /// each image channel-major), each value in [0, 1]; one label per row for a conditional model.
    /// </summary>
    public void Decode(AutoencoderModel model, ReadOnlySpan<float> latents, int count, int[]? labels, Span<float> images)
    {
        int latent = model.LatentDim, features = model.Config.InputSize;
        using (Autograd.NoGrad())
        using (ThreadBudget.Use(_threads))
        {
            for (int start = 0; start < count; start += ChunkRows)
            {
                int rows = Math.Min(ChunkRows, count - start);
                using (TensorScope.Begin())
                {
                    var z = Tensor.FromArray(latents.Slice(start * latent, rows * latent), [rows, latent], model.Backend);
                    model.Decode(z, Chunk(labels, start, rows)).CopyTo(images.Slice(start * features, rows * features));
                }
            }
        }
        ToUnitRange(images[..(count * features)]);
    }

    /// <summary>The decoded mean code of one input row, both under <paramref name="labels"/> (one label) for a conditional model.</summary>
    public void Reconstruct(AutoencoderModel model, ReadOnlySpan<float> input, int[]? labels, Span<float> image)
    {
        using (Autograd.NoGrad())
        using (ThreadBudget.Use(_threads))
        using (TensorScope.Begin())
        {
            var x = Tensor.FromArray(input, [1, model.Config.InputSize], model.Backend);
            model.Decode(model.Encode(x, labels).Mean, labels).CopyTo(image);
        }
        ToUnitRange(image[..model.Config.InputSize]);
    }

    /// <summary>
    /// Draws <paramref name="count"/> codes z ~ N(0, temperature² I) from a generator seeded with
    /// <paramref name="seed"/> and decodes them (under one label per code for a conditional model):
    /// the same arguments always give the same images.
    /// </summary>
    public void Sample(AutoencoderModel model, int count, ulong seed, float temperature, int[]? labels, Span<float> images)
    {
        using (Autograd.NoGrad())
        using (ThreadBudget.Use(_threads))
        using (TensorScope.Begin())
        {
            var z = Tensor.RandN(new Generator(seed), [count, model.LatentDim], model.Backend);
            if (temperature != 1f) z = F.MulScalar(z, temperature);
            model.Decode(z, labels).CopyTo(images);
        }
        ToUnitRange(images[..(count * model.Config.InputSize)]);
    }

    private static int[]? Chunk(int[]? labels, int start, int rows)
        => labels is null || (start == 0 && rows == labels.Length) ? labels : labels.AsSpan(start, rows).ToArray();

    /// <summary>Clamps decoded values into [0, 1] in place, NaN to 0.</summary>
    /// <remarks>
    /// Decoder outputs are probabilities or sigmoid means; clamping only catches what extreme codes
    /// make of them (infinities, NaN), so images and JSON stay well-formed. A 64-image grid is 50,000
    /// values: a vector at a time, this pass takes microseconds instead of a twentieth of the request.
    /// </remarks>
    public static void ToUnitRange(Span<float> values)
    {
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        for (int i = 0; i < vectors.Length; i++)
        {
            // The select zeroes NaN and negatives, as the comparison below does.
            var v = vectors[i];
            vectors[i] = Vector.Min(Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, Vector<float>.Zero), Vector<float>.One);
        }
        for (int i = vectors.Length * Vector<float>.Count; i < values.Length; i++)
        {
            float v = values[i];
            values[i] = v > 0f ? (v < 1f ? v : 1f) : 0f;
        }
    }

    // ---- latent paths ----

    /// <summary>
    /// <paramref name="steps"/> codes from <paramref name="from"/> to <paramref name="to"/>, both ends
    /// included; spherical interpolation when <paramref name="spherical"/> and the two codes are
    /// neither (nearly) parallel nor opposite, else linear.
    /// </summary>
    public static float[] Interpolate(ReadOnlySpan<float> from, ReadOnlySpan<float> to, int steps, bool spherical)
    {
        int n = from.Length;
        var path = new float[steps * n];
        double angle = 0, sine = 0;
        if (spherical)
        {
            double dot = 0, a2 = 0, b2 = 0;
            for (int i = 0; i < n; i++)
            {
                dot += (double)from[i] * to[i];
                a2 += (double)from[i] * from[i];
                b2 += (double)to[i] * to[i];
            }
            if (a2 > 0 && b2 > 0)
            {
                angle = Math.Acos(Math.Clamp(dot / Math.Sqrt(a2 * b2), -1, 1));
                sine = Math.Sin(angle);
            }
        }
        bool slerp = spherical && sine > 1e-6;
        for (int s = 0; s < steps; s++)
        {
            double t = steps == 1 ? 0 : (double)s / (steps - 1);
            double wa = slerp ? Math.Sin((1 - t) * angle) / sine : 1 - t;
            double wb = slerp ? Math.Sin(t * angle) / sine : t;
            var row = path.AsSpan(s * n, n);
            for (int i = 0; i < n; i++) row[i] = (float)((wa * from[i]) + (wb * to[i]));
        }
        return path;
    }

    /// <summary>
    /// n x n codes, row-major: columns from -range to +range along <paramref name="xDim"/>, rows from
    /// +range (top) to -range along <paramref name="yDim"/>, every other dimension 0.
    /// </summary>
    public static float[] ManifoldLatents(int latentSize, int n, float range, int xDim, int yDim)
    {
        var codes = new float[n * n * latentSize];
        for (int row = 0; row < n; row++)
        {
            for (int column = 0; column < n; column++)
            {
                var code = codes.AsSpan(((row * n) + column) * latentSize, latentSize);
                code[xDim] = Position(column, n, -range, range);
                code[yDim] = Position(row, n, range, -range);
            }
        }
        return codes;

        static float Position(int i, int n, float first, float last) => n == 1 ? 0f : first + ((last - first) * i / (n - 1));
    }

    // ---- datasets ----

    /// <summary>
    /// Mean codes of the first <paramref name="limit"/> images of a split of a dataset, with their
    /// labels (null when <paramref name="labelled"/> is false: the dataset's labels mean nothing).
    /// A conditional model encodes each image under its own label.
    /// </summary>
    /// <exception cref="DatasetUnavailableException">The dataset's files cannot be fetched or read.</exception>
    public async Task<LatentPoint[]> EncodeDatasetAsync(AutoencoderModel model, string dataset, DatasetSplit split, int limit, bool labelled, CancellationToken ct)
    {
        var splits = await datasets.OpenAsync(dataset, ct);
        var data = split == DatasetSplit.Train ? splits.Train : splits.Test;
        if (data.FeatureCount != model.Config.InputSize)
            throw new ClientProblemException(StatusCodes.Status422UnprocessableEntity,
                $"The {dataset} images have {data.FeatureCount} values each but this model takes {model.Config.InputSize}.");
        int count = Math.Min(limit, data.Count), features = data.FeatureCount, latent = model.LatentDim;
        var points = new LatentPoint[count];
        var indices = new int[Math.Min(count, ChunkRows)];
        var inputs = ArrayPool<float>.Shared.Rent(indices.Length * features);
        try
        {
            for (int start = 0; start < count; start += ChunkRows)
            {
                int rows = Math.Min(ChunkRows, count - start);
                for (int i = 0; i < rows; i++) indices[i] = start + i;
                data.CopyBatch(indices.AsSpan(0, rows), inputs.AsSpan(0, rows * features));
                int[]? labels = null;
                if (model.IsConditional)
                {
                    labels = new int[rows];
                    data.CopyLabels(indices.AsSpan(0, rows), labels);
                }
                var (mu, _) = Encode(model, inputs.AsSpan(0, rows * features), rows, labels);
                for (int i = 0; i < rows; i++)
                    points[start + i] = new LatentPoint(mu.AsSpan(i * latent, latent).ToArray(), labelled ? data.GetLabel(start + i) : null);
            }
            return points;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(inputs);
        }
    }
}
