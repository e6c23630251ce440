using Microsoft.Extensions.Options;
using Vae.Engine.Imaging;

namespace Vae.Api.Infrastructure;

/// <summary>
/// Limits on the images the service reads ("Images" section): request bodies, images in JSON and in
/// zips, and dataset uploads. Sizes are checked against the file's header before anything is decoded.
/// </summary>
public sealed class ImagesOptions
{
    public const string Section = "Images";

    /// <summary>Widest image read, in pixels (after EXIF rotation).</summary>
    public int MaxWidth { get; set; } = ImageLimits.Default.MaxWidth;

    /// <summary>Tallest image read, in pixels (after EXIF rotation).</summary>
    public int MaxHeight { get; set; } = ImageLimits.Default.MaxHeight;

    /// <summary>Most pixels (width x height) read; 32 megapixels by default, more than most phones' photos.</summary>
    public long MaxPixels { get; set; } = ImageLimits.Default.MaxPixels;

    /// <summary>Largest buffer, in MiB, the decoder may allocate for one image; at least MaxPixels x 4 bytes.</summary>
    public int MaxDecoderMegabytes { get; set; } = ImageLimits.Default.MaxDecoderMegabytes;

    /// <summary>Longest one image may take to decode, in seconds.</summary>
    public double DecodeTimeLimitSeconds { get; set; } = ImageLimits.Default.DecodeTimeLimit.TotalSeconds;

    public ImageLimits ToLimits() => new(MaxWidth, MaxHeight, MaxPixels, MaxDecoderMegabytes,
        double.IsFinite(DecodeTimeLimitSeconds) && DecodeTimeLimitSeconds is > 0 and < int.MaxValue / 1000.0
            ? TimeSpan.FromSeconds(DecodeTimeLimitSeconds)
            : TimeSpan.Zero);
}

public static class ImageServices
{
    /// <summary>
    /// The one <see cref="IImageCodec"/> every endpoint reads and writes images with, on the limits of
    /// the "Images" section. Models and datasets both need it, so both registrations call this; the
    /// second call finds it there.
    /// </summary>
    public static IServiceCollection AddImages(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IImageCodec))) return services;
        services.AddOptions<ImagesOptions>().Bind(configuration.GetSection(ImagesOptions.Section))
            .Validate(o => o.ToLimits().Problem() is null, $"{ImagesOptions.Section}: MaxWidth, MaxHeight, MaxPixels and MaxDecoderMegabytes must be at least 1, "
                + "and DecodeTimeLimitSeconds a positive number of seconds.")
            .Validate(o => o.ToLimits().MemoryProblem() is null, $"{ImagesOptions.Section}:MaxDecoderMegabytes must hold MaxPixels x 4 bytes (a decoded pixel), "
                + "or the largest images allowed would be refused for memory.")
            .ValidateOnStart();
        services.AddSingleton<IImageCodec>(sp => new ImageSharpCodec(
            sp.GetRequiredService<IOptions<ImagesOptions>>().Value.ToLimits(), sp.GetService<TimeProvider>()));
        return services;
    }
}
