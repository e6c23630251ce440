using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Models;

/// <summary>A trained model as clients see it.</summary>
/// <param name="Metrics">Per epoch: train and test loss, reconstruction and KL, in nats per image.</param>
public sealed record ModelView(
    string Id,
    string? Name,
    string Dataset,
    ModelConfig Config,
    IReadOnlyList<EpochView> Metrics,
    DateTimeOffset CreatedAt,
    string? JobId,
    int LatentSize,
    long ParameterCount);

public sealed record ModelList(IReadOnlyList<ModelView> Models);

/// <summary>The code of one image: the posterior mean and log-variance (null for a plain autoencoder).</summary>
public sealed record LatentCode(float[] Mu, float[]? LogVar);

public sealed record EncodeResponse(IReadOnlyList<LatentCode> Results);

/// <summary>Decoded images, each Channels*Height*Width values in [0, 1], row-major.</summary>
public sealed record ImagesResponse(IReadOnlyList<float[]> Images, int Width, int Height);

/// <summary>An interpolation path: the codes and the images decoded from them.</summary>
public sealed record InterpolationResponse(IReadOnlyList<float[]> Latents, IReadOnlyList<float[]> Images, int Width, int Height);

/// <summary>A dataset image's mean code and its class label.</summary>
public sealed record LatentPoint(float[] Mu, int Label);

public sealed record LatentsResponse(IReadOnlyList<LatentPoint> Points, int Dims);

public static class ModelViewExtensions
{
    public static ModelView AsView(this ModelRecord record) => new(
        record.Id, record.Name, record.Dataset, record.Config, record.Metrics.Select(m => m.AsView()).ToArray(), record.CreatedAt, record.JobId,
        record.Config.LatentSize, ParameterCount(record.Config));

    /// <summary>Weights and biases of the model a configuration builds, counted without building it.</summary>
    public static long ParameterCount(ModelConfig config)
    {
        static long Linear(long inputs, long outputs) => (inputs * outputs) + outputs;

        long count = 0, width = config.InputSize;
        foreach (int size in config.HiddenSizes)
        {
            count += Linear(width, size);
            width = size;
        }
        int heads = config.Kind == ModelKind.Vae ? 2 : 1;
        count += heads * Linear(width, config.LatentSize);
        width = config.LatentSize;
        for (int i = config.HiddenSizes.Length - 1; i >= 0; i--)
        {
            count += Linear(width, config.HiddenSizes[i]);
            width = config.HiddenSizes[i];
        }
        return count + Linear(width, config.InputSize);
    }
}
