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
    int LatentDim,
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
        record.Config.LatentDim, ParameterCount(record.Config));

    /// <summary>Weights and biases of the model a configuration builds, counted by its family without building it.</summary>
    public static long ParameterCount(ModelConfig config) => config.Owner.ParameterCount(config);
}
