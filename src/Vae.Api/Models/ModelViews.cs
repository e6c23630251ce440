using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Models;

/// <summary>A trained model as clients see it.</summary>
/// <param name="Name">The name it is registered under (the training request's); null for an unnamed model.</param>
/// <param name="Version">Which training of its name it is, from 1; GET /api/models/{name} is the newest, {name}@{version} this one. Null for an unnamed model.</param>
/// <param name="Aliases">The aliases that name this model ("default", ...), in order of name.</param>
/// <param name="Family">mlp, conv or resnet.</param>
/// <param name="Kind">vae or ae.</param>
/// <param name="Conditional">Whether it takes a class label (samples, decode and encode then need one).</param>
/// <param name="Channels">Image channels: 1 gray, 3 colour.</param>
/// <param name="ClassNames">What label k means; null when the model's dataset has no labels.</param>
/// <param name="Config">The whole configuration, as a training request's "model" takes it.</param>
/// <param name="Epochs">Per epoch: train and test loss, reconstruction and KL, in nats per image.</param>
/// <param name="Evaluation">Measured on test images after training; null when the job skipped it.</param>
/// <param name="TrainingSeconds">Seconds spent in training passes, all epochs together.</param>
/// <param name="Device">The engine backend that trained the model (cpu, cuda, ilgpu-cpu); null for models trained before it was recorded.</param>
public sealed record ModelView(
    string Id,
    string? Name,
    int? Version,
    IReadOnlyList<string> Aliases,
    string Dataset,
    string Family,
    string Kind,
    bool Conditional,
    int LatentDim,
    int Channels,
    int Height,
    int Width,
    IReadOnlyList<string>? ClassNames,
    long ParameterCount,
    ModelConfig Config,
    IReadOnlyList<EpochView> Epochs,
    EvaluationView? Evaluation,
    double? TrainingSeconds,
    DateTimeOffset CreatedAt,
    string? JobId,
    string? Device);

/// <summary>A model measured on test images after training, per image, in nats unless said otherwise.</summary>
/// <param name="Images">Test images evaluated.</param>
/// <param name="Elbo">The evidence lower bound on log p(x); null for a plain autoencoder.</param>
/// <param name="Iwae">The importance-weighted bound on log p(x) from <paramref name="ImportanceSamples"/> samples (tighter than the ELBO); null for a plain autoencoder.</param>
/// <param name="ImportanceSamples">k of the IWAE estimate.</param>
/// <param name="ActiveUnits">Latent dimensions whose posterior mean varies over the data (variance above 0.01).</param>
/// <param name="Reconstruction">Mean reconstruction loss.</param>
/// <param name="Kl">Mean KL to the prior; null for a plain autoencoder.</param>
/// <param name="BitsPerDim">-log2 p(x) per 8-bit value from the best bound, for Gaussian likelihoods (colour data); null otherwise.</param>
/// <param name="Seconds">How long the evaluation took.</param>
public sealed record EvaluationView(
    int Images, double? Elbo, double? Iwae, int ImportanceSamples, int ActiveUnits, double? Reconstruction, double? Kl, double? BitsPerDim, double Seconds);

/// <summary>A page of models, newest first.</summary>
/// <param name="NextCursor">Pass it as ?cursor= for the next page; null on the last page.</param>
public sealed record ModelList(IReadOnlyList<ModelView> Models, string? NextCursor = null);

/// <summary>The code of one image: the posterior mean and log-variance (null for a plain autoencoder).</summary>
public sealed record LatentCode(float[] Mu, float[]? LogVar);

public sealed record EncodeResponse(IReadOnlyList<LatentCode> Results);

/// <summary>
/// Decoded images, each <paramref name="Channels"/> x <paramref name="Height"/> x <paramref name="Width"/>
/// values in [0, 1], channel-major (a colour image is all its red values, then green, then blue), each plane row-major.
/// </summary>
public sealed record ImagesResponse(IReadOnlyList<float[]> Images, int Channels, int Height, int Width);

/// <summary>An interpolation path: the codes and the images decoded from them (laid out as in <see cref="ImagesResponse"/>).</summary>
public sealed record InterpolationResponse(IReadOnlyList<float[]> Latents, IReadOnlyList<float[]> Images, int Channels, int Height, int Width);

/// <summary>A dataset image's mean code and its class label; the label is null when the dataset has no labels.</summary>
public sealed record LatentPoint(float[] Mu, int? Label);

public sealed record LatentsResponse(IReadOnlyList<LatentPoint> Points, int LatentDim);

public static class ModelViewExtensions
{
    /// <summary>The model as clients see it, with the aliases that name it (none when not given).</summary>
    public static ModelView AsView(this ModelRecord record, IEnumerable<string>? aliases = null)
    {
        var c = record.Config;
        return new(
            record.Id, record.Name, record.Version, [.. (aliases ?? []).Order(StringComparer.Ordinal)], record.Dataset, c.Family, c.Kind == ModelKind.Ae ? "ae" : "vae", c.Conditional, c.LatentDim,
            c.Channels, c.Height, c.Width, ClassNamesOf(record), ParameterCount(c), c,
            record.Metrics.Select(m => m.AsView()).ToArray(), record.Evaluation?.AsView(), record.TrainingSeconds, record.CreatedAt, record.JobId, record.Device);
    }

    public static EvaluationView AsView(this EvaluationRecord e)
        => new(e.Images, e.Elbo, e.Iwae, e.ImportanceSamples, e.ActiveUnits, double.IsFinite(e.Reconstruction) ? e.Reconstruction : null, e.Kl, e.BitsPerDim, e.Seconds);

    /// <summary>The record's class names, else the built-in dataset's (records made before they were stored), else 0..n-1 for a conditional model.</summary>
    public static IReadOnlyList<string>? ClassNamesOf(ModelRecord record)
    {
        if (record.ClassNames is { Count: > 0 } names) return names;
        if (Datasets.DatasetCatalog.FindBuiltIn(record.Dataset) is { } builtIn) return builtIn.ClassNames;
        return record.Config.Conditional ? [.. Enumerable.Range(0, record.Config.ClassCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))] : null;
    }

    /// <summary>Weights and biases of the model a configuration builds, counted by its family without building it.</summary>
    public static long ParameterCount(ModelConfig config) => config.Owner.ParameterCount(config);
}
