namespace Vae.Engine.Imaging;

/// <summary>
/// Every image the service reads or writes goes through this: request bodies, dataset uploads, the
/// CIFAR-10 files, and the grids it answers. Reading checks before decoding (the format among
/// <see cref="ImageFormats.All"/>, the header's size against <see cref="Limits"/>, the file's
/// structure) and decodes within the limits' memory and time; every refusal is an
/// <see cref="ImageException"/> whose message says what is wrong.
/// </summary>
public interface IImageCodec
{
    ImageLimits Limits { get; }

    /// <summary>The file's format and upright size, from its header alone, checked against <see cref="Limits"/>.</summary>
    /// <exception cref="ImageException">Not an accepted format, a malformed header, or over the limits.</exception>
    ImageHeader Identify(ReadOnlyMemory<byte> file);

    /// <summary>
    /// The file's pixels as 8-bit RGBA (alpha not premultiplied), turned upright as its EXIF
    /// orientation says, then resampled to <paramref name="fit"/> when one is given.
    /// </summary>
    /// <exception cref="ImageException">Everything <see cref="Identify"/> refuses, and a file that is truncated, corrupt, or over the memory or time limit.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    RgbaImage Decode(ReadOnlyMemory<byte> file, ImageFit? fit = null, CancellationToken ct = default);

    /// <summary>Gray values in [0, 1] as an 8-bit gray PNG, or a lossless WebP (round(clamp(v, 0, 1) * 255); NaN is 0).</summary>
    byte[] Encode(GrayImage image, ImageFormat format = ImageFormat.Png);

    /// <summary>
    /// The same from <paramref name="width"/> x <paramref name="height"/> row-major values the caller
    /// owns, such as a pooled buffer: serving composes its grids in one instead of a new image each time.
    /// </summary>
    byte[] Encode(ReadOnlySpan<float> gray, int width, int height, ImageFormat format = ImageFormat.Png);

    /// <summary>Colour planes in [0, 1] as an 8-bit RGB PNG, or a lossless WebP.</summary>
    byte[] Encode(RgbImage image, ImageFormat format = ImageFormat.Png);
}
