namespace Vae.Engine.Imaging;

/// <summary>
/// The largest PNG the decoder accepts, checked against the header before anything is allocated.
/// The defaults suit images sent by users; dataset files that pack thousands of small images into
/// one tall PNG need a taller limit.
/// </summary>
public sealed record PngDecodeLimits(int MaxWidth, int MaxHeight, long MaxPixels)
{
    public static PngDecodeLimits Default { get; } = new(PngDecoder.MaxDimension, PngDecoder.MaxDimension, PngDecoder.MaxPixels);

    internal string Describe() => MaxWidth == MaxHeight && MaxPixels % (1024 * 1024) == 0
        ? $"{MaxWidth} pixels a side and {MaxPixels / (1024 * 1024)} megapixels"
        : $"{MaxWidth} pixels wide, {MaxHeight} pixels tall and {MaxPixels} pixels in all";
}
