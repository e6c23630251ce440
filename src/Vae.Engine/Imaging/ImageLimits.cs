using System.Globalization;

namespace Vae.Engine.Imaging;

/// <summary>
/// What a codec agrees to decode. Sides and pixel count are checked against the file's header
/// before any pixel is decoded; the decoder's memory is bounded by <see cref="MaxDecoderMegabytes"/>
/// (the largest single buffer it may allocate, so a header that lies cannot make it allocate more);
/// a decode that runs past <see cref="DecodeTimeLimit"/> is stopped.
/// </summary>
/// <param name="MaxWidth">Widest image read, in pixels (after EXIF rotation).</param>
/// <param name="MaxHeight">Tallest image read, in pixels (after EXIF rotation).</param>
/// <param name="MaxPixels">Most pixels (width x height) read.</param>
/// <param name="MaxDecoderMegabytes">Largest buffer, in mebibytes, the decoder may allocate; it should hold the 4 bytes a pixel of <paramref name="MaxPixels"/> (see <see cref="MemoryProblem"/>).</param>
/// <param name="DecodeTimeLimit">Longest one decode may take; <see cref="Timeout.InfiniteTimeSpan"/> for none (trusted files).</param>
public sealed record ImageLimits(int MaxWidth, int MaxHeight, long MaxPixels, int MaxDecoderMegabytes, TimeSpan DecodeTimeLimit)
{
    /// <summary>Bytes a decoded pixel takes (8-bit RGBA), which the decoder's buffer limit must cover.</summary>
    public const int BytesPerPixel = 4;

    /// <summary>
    /// Limits for images sent by people: phone photos (12 to 48 megapixels at most binned to 12),
    /// scans and panoramas up to 16384 pixels a side, 32 megapixels in all, decoded within 4 seconds.
    /// </summary>
    public static ImageLimits Default { get; } = new(16384, 16384, 32L * 1024 * 1024, 256, TimeSpan.FromSeconds(4));

    /// <summary>Why these limits cannot work at all, or null: sides, counts, memory and time positive.</summary>
    public string? Problem()
    {
        if (MaxWidth < 1 || MaxHeight < 1 || MaxPixels < 1) return "the largest width, height and pixel count must each be at least 1";
        if (MaxDecoderMegabytes < 1) return "the decoder's memory limit must be at least 1 MiB";
        if (DecodeTimeLimit != Timeout.InfiniteTimeSpan && DecodeTimeLimit <= TimeSpan.Zero) return "the decode time limit must be positive";
        return null;
    }

    /// <summary>
    /// Why the largest image these limits allow would still be refused for memory, or null: the
    /// decoder's buffer limit must hold its pixels. (A codec accepts limits that fail this, which
    /// tests use to reach the memory refusal; configuration is checked with it at start.)
    /// </summary>
    public string? MemoryProblem() => (long)MaxDecoderMegabytes * 1024 * 1024 < MaxPixels * BytesPerPixel
        ? $"the decoder's memory limit ({MaxDecoderMegabytes} MiB) must hold the largest image allowed " +
            $"({MaxPixels} pixels x {BytesPerPixel} bytes = {Mebibytes(MaxPixels * BytesPerPixel)} MiB)"
        : null;

    /// <summary>"16384x16384 pixels and 32 megapixels", for messages.</summary>
    public string DescribeSize()
    {
        string pixels = MaxPixels % (1024 * 1024) == 0
            ? $"{MaxPixels / (1024 * 1024)} megapixels ({MaxPixels} pixels)"
            : $"{MaxPixels} pixels";
        return $"at most {MaxWidth} pixels wide, {MaxHeight} pixels tall and {pixels} in all";
    }

    /// <summary>"4 s", for messages.</summary>
    public string DescribeTime() => DecodeTimeLimit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    /// <summary>Refuses a header whose size is over the limits, naming the size and the limit.</summary>
    /// <exception cref="ImageOverLimitException">The image is larger than these limits allow.</exception>
    public void Check(ImageHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        long pixels = (long)header.Width * header.Height;
        if (header.Width > MaxWidth || header.Height > MaxHeight || pixels > MaxPixels)
        {
            throw new ImageOverLimitException(
                $"The {ImageFormats.Name(header.Format)} image is {header.Width}x{header.Height} pixels ({pixels} in all); images are read when they are {DescribeSize()}. " +
                "Scale it down first.");
        }
    }

    private static long Mebibytes(long bytes) => (bytes + (1024 * 1024) - 1) / (1024 * 1024);
}
