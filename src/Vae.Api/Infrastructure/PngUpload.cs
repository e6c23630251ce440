using System.Buffers.Binary;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Engine.Imaging;

namespace Vae.Api.Infrastructure;

/// <summary>An uploaded PNG, decoded only once its header shows a size worth decoding.</summary>
public static class PngUpload
{
    /// <summary>Largest uploaded image read: decoding takes about 20 bytes per pixel, and a model input needs far fewer.</summary>
    public const long MaxPixels = 2048 * 2048;

    /// <summary>
    /// Decodes <paramref name="png"/>, or answers why not: 400 for an empty or malformed file, 415
    /// for a PNG feature the decoder does not read, 422 for an image over <see cref="MaxPixels"/>.
    /// </summary>
    public static ProblemHttpResult? Decode(ReadOnlySpan<byte> png, out RgbaImage image)
    {
        image = null!;
        if (png.IsEmpty) return Problems.BadRequest("The body is empty; send the PNG's bytes as the body with Content-Type image/png.");
        // A few kilobytes of PNG can hold a huge blank image; refuse it from the header, before anything is inflated.
        if (png.Length >= 24 && png[12..16].SequenceEqual("IHDR"u8))
        {
            long width = BinaryPrimitives.ReadUInt32BigEndian(png[16..]), height = BinaryPrimitives.ReadUInt32BigEndian(png[20..]);
            if (width * height > MaxPixels)
                return Problems.Unprocessable($"The image is {width}x{height} pixels; at most {MaxPixels} pixels are read (e.g. 2048x2048). Scale it down first.");
        }
        try
        {
            image = PngDecoder.Decode(png);
            return null;
        }
        catch (InvalidImageException e)
        {
            return Problems.Make(StatusCodes.Status400BadRequest, "The image is malformed", e.Message);
        }
        catch (UnsupportedImageException e)
        {
            return Problems.UnsupportedMedia(e.Message);
        }
    }
}
