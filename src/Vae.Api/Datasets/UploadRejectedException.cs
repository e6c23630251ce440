using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;

namespace Vae.Api.Datasets;

/// <summary>
/// An upload that is not kept: the status says which kind of mistake it is (400 unreadable
/// container, 413 over a size limit, 415 wrong content type, 422 content that breaks a rule) and
/// the message says what is wrong and what is allowed.
/// </summary>
public sealed class UploadRejectedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static UploadRejectedException Malformed(string message) => new(StatusCodes.Status400BadRequest, message);

    public static UploadRejectedException TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, message);

    public static UploadRejectedException UnsupportedMedia(string message) => new(StatusCodes.Status415UnsupportedMediaType, message);

    public static UploadRejectedException Unprocessable(string message) => new(StatusCodes.Status422UnprocessableEntity, message);

    public ProblemHttpResult ToProblem() => Status switch
    {
        StatusCodes.Status400BadRequest => Problems.Make(Status, "The upload cannot be read", Message),
        StatusCodes.Status413PayloadTooLarge => Problems.TooLarge(Message),
        StatusCodes.Status415UnsupportedMediaType => Problems.UnsupportedMedia(Message),
        _ => Problems.Make(Status, "The upload is not a usable dataset", Message),
    };
}
