using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Engine.Imaging;

namespace Vae.Api.Infrastructure;

/// <summary>An uploaded image, decoded only once its format, structure and header size pass the codec's checks.</summary>
public static class ImageUpload
{
    /// <summary>
    /// Decodes <paramref name="file"/> (resampled to <paramref name="fit"/>), or answers why not: 400
    /// for an empty, truncated or corrupt file, 415 for a format that is not read, 422 for an image
    /// over the size, memory or time limits (Images section).
    /// </summary>
    public static ProblemHttpResult? Decode(IImageCodec codec, ReadOnlyMemory<byte> file, ImageFit? fit, out RgbaImage image, CancellationToken ct = default)
    {
        image = null!;
        if (file.IsEmpty)
            return Problems.BadRequest($"The body is empty; send the image's bytes as the body, with its Content-Type ({ImageFormats.MediaTypeNames}).");
        try
        {
            image = codec.Decode(file, fit, ct);
            return null;
        }
        catch (ImageException e)
        {
            return Problem(e);
        }
    }

    /// <summary>The answer to an image that was refused.</summary>
    public static ProblemHttpResult Problem(ImageException e) => e switch
    {
        UnsupportedImageException => Problems.UnsupportedMedia(e.Message),
        ImageOverLimitException => Problems.Make(StatusCodes.Status422UnprocessableEntity, "The image is over a limit", e.Message),
        _ => Problems.Make(StatusCodes.Status400BadRequest, "The image is malformed", e.Message),
    };
}
