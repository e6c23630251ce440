namespace Vae.Api.Models;

/// <summary>
/// Images to encode as JSON: one image in <see cref="Pixels"/> or several in <see cref="Batch"/>,
/// each Channels*Height*Width values in [0, 1], row-major, white ink on black like MNIST.
/// (A PNG can be sent instead, as the body with Content-Type image/png.)
/// </summary>
public sealed record EncodeRequest
{
    public float[]? Pixels { get; init; }
    public float[][]? Batch { get; init; }
}

/// <summary>Latent codes to decode: one in <see cref="Latent"/> or several in <see cref="Latents"/>.</summary>
public sealed record DecodeRequest
{
    public float[][]? Latents { get; init; }
    public float[]? Latent { get; init; }
}

/// <summary>One end of an interpolation: a latent code, or a base64 PNG that is encoded to its mean code.</summary>
public sealed record InterpolationPoint
{
    public float[]? Latent { get; init; }
    public string? Png { get; init; }
}

/// <summary>A path through latent space from <see cref="From"/> to <see cref="To"/>, both included.</summary>
public sealed record InterpolateRequest
{
    public InterpolationPoint? From { get; init; }
    public InterpolationPoint? To { get; init; }
    /// <summary>Images on the path, the two ends included.</summary>
    public int Steps { get; init; } = 10;
    /// <summary>"linear" or "slerp" (spherical, which keeps the norm of Gaussian codes typical).</summary>
    public string Method { get; init; } = "linear";
}

/// <summary>How uploaded images are read: <c>invert</c> is "auto" (a light background is inverted), "true" or "false".</summary>
public sealed record ImageInputQuery(string? Invert = null);

/// <summary>Layout of an image grid: tiles per row (default: a square-ish grid) and a whole-number upscale.</summary>
public sealed record GridQuery(int? Columns = null, int Scale = 1);

/// <summary>Images of a model's prior: <c>n</c> codes drawn from N(0, temperature² I) by a generator seeded with <c>seed</c>.</summary>
public sealed record SamplesQuery(int N = 64, long Seed = 1, float Temperature = 1f, int? Columns = null, int Scale = 1);

/// <summary>
/// An n x n grid of decoded codes over two latent dimensions (the others 0): columns run from -range to
/// +range along dims[0], rows from +range (top) to -range along dims[1].
/// </summary>
public sealed record ManifoldQuery(int N = 20, float Range = 3f, string Dims = "0,1", int Scale = 1);

/// <summary>The first <c>limit</c> images of a split of the model's dataset, encoded.</summary>
public sealed record LatentsQuery(string Split = "test", int Limit = 1000);
