using Microsoft.AspNetCore.Http.HttpResults;

namespace Vae.Api.Infrastructure;

/// <summary>
/// Every error the service returns is RFC 9457 ProblemDetails with a detail a person can act on.
/// These helpers keep titles and status codes the same across endpoints.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) => Make(StatusCodes.Status400BadRequest, "The request is malformed", detail);
    public static ProblemHttpResult NotFound(string detail) => Make(StatusCodes.Status404NotFound, "Not found", detail);
    public static ProblemHttpResult Conflict(string detail) => Make(StatusCodes.Status409Conflict, "Not ready", detail);
    public static ProblemHttpResult TooLarge(string detail) => Make(StatusCodes.Status413PayloadTooLarge, "The request body is too large", detail);
    public static ProblemHttpResult UnsupportedMedia(string detail) => Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported media", detail);
    public static ProblemHttpResult Unprocessable(string detail) => Make(StatusCodes.Status422UnprocessableEntity, "A value is out of range", detail);
    public static ProblemHttpResult Unavailable(string detail) => Make(StatusCodes.Status503ServiceUnavailable, "Unavailable", detail);

    /// <summary>422 for one named value, with the field under "errors" as validation problems have it.</summary>
    public static ProblemHttpResult Invalid(string field, string detail)
    {
        var result = Unprocessable(detail);
        result.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        return result;
    }

    public static ProblemHttpResult Make(int status, string title, string detail) => TypedResults.Problem(detail, statusCode: status, title: title);
}

/// <summary>Thrown by request handling code for a problem the client can fix; the exception handler maps it to ProblemDetails.</summary>
public sealed class ClientProblemException(int status, string detail) : Exception(detail)
{
    public int Status { get; } = status;
}
