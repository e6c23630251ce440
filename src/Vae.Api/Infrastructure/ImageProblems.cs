using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Engine.Imaging;

namespace Vae.Api.Infrastructure;

/// <summary>The answer to an image the codec refused, the same wherever the image came from.</summary>
public static class ImageProblems
{
    /// <summary>400 for an empty, truncated or corrupt file, 415 for a format that is not read, 422 for an image over the size, memory or time limits (Images section).</summary>
    public static ProblemHttpResult For(ImageException e) => e switch
    {
        UnsupportedImageException => Problems.UnsupportedMedia(e.Message),
        ImageOverLimitException => Problems.Make(StatusCodes.Status422UnprocessableEntity, "The image is over a limit", e.Message),
        _ => Problems.Make(StatusCodes.Status400BadRequest, "The image is malformed", e.Message),
    };
}
