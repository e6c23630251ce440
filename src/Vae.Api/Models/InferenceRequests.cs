namespace Vae.Api.Models;

/// <summary>
/// Images to encode as JSON: one image in <see cref="Pixels"/> or several in <see cref="Batch"/>,
/// each Channels*Height*Width values in [0, 1], channel-major, each plane row-major (gray models:
/// white ink on black, like MNIST). An image can be sent instead, as the body with its Content-Type
/// (image/png, image/jpeg, image/webp or image/bmp).
/// </summary>
public sealed record EncodeRequest
{
    public float[]? Pixels { get; init; }
    public float[][]? Batch { get; init; }
    /// <summary>For a conditional model: one class label per image.</summary>
    public int[]? Labels { get; init; }
    /// <summary>For a conditional model: the class of every image (the query's label does the same).</summary>
    public int? Label { get; init; }
}

/// <summary>Latent codes to decode: one in <see cref="Latent"/> or several in <see cref="Latents"/>.</summary>
public sealed record DecodeRequest
{
    public float[][]? Latents { get; init; }
    public float[]? Latent { get; init; }
    /// <summary>For a conditional model: one class label per code.</summary>
    public int[]? Labels { get; init; }
    /// <summary>For a conditional model: the class of every code (the query's label does the same).</summary>
    public int? Label { get; init; }
}

/// <summary>One end of an interpolation: a latent code, or a base64 image that is encoded to its mean code.</summary>
public sealed record InterpolationPoint
{
    public float[]? Latent { get; init; }
    /// <summary>An image file's bytes, base64-encoded (no data: prefix): PNG, JPEG, WebP or BMP (the name stays "png" for existing clients).</summary>
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
    /// <summary>For a conditional model: the class of the whole path, image ends included (the query's label does the same).</summary>
    public int? Label { get; init; }
}
