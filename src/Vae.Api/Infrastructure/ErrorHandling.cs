using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Vae.Engine.Models;
using Microsoft.AspNetCore.Diagnostics;
using Vae.Engine.Imaging;
using Vae.Api.Storage;

namespace Vae.Api.Infrastructure;

/// <summary>
/// Turns every failure into ProblemDetails: client mistakes get their status and a message
/// that says what to fix; anything unexpected is logged and answered with a plain 500, and the
/// process carries on.
/// </summary>
public static partial class ErrorHandling
{
    public static IServiceCollection AddErrorHandling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Extensions.TryAdd("traceId", c.HttpContext.TraceIdentifier);
            // Routing refuses a body whose type an endpoint's declared body does not list before any
            // handler runs, with no word of why; the handlers that read bodies themselves say more.
            if (c.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && c.ProblemDetails.Detail is null)
                c.ProblemDetails.Detail = UnlistedContentType(c.HttpContext.Request.ContentType);
        });
        services.AddExceptionHandler<ClientErrorHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            // Model configurations are one JSON object per family, told apart by "family".
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, new DefaultJsonTypeInfoResolver { Modifiers = { ModelRegistry.DescribeConfigs } });
        });
        // A query value that does not parse (n=lots) throws in every environment, so that the
        // handler below answers it as any invalid value, a 422 naming the parameter; otherwise outside
        // Development the endpoint would only set 400, and its filters would still run on defaults.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>The detail of a 415 that routing answered: what came, and the header a JSON body needs.</summary>
    internal static string UnlistedContentType(string? contentType)
        => (string.IsNullOrEmpty(contentType) ? "The request has no Content-Type" : $"This endpoint does not take {contentType}")
            + ". Send the body with Content-Type: application/json if it is JSON (with curl: -H 'Content-Type: application/json'), "
            + "or with the type the endpoint's documentation names (GET /swagger).";

    public static WebApplication UseErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    private sealed partial class ClientErrorHandler(IProblemDetailsService problems, ILogger<ClientErrorHandler> log) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            var (status, title, detail) = Classify(exception);
            if (status == StatusCodes.Status500InternalServerError)
                log.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            else if (status == 499)
                return true; // the client went away; nobody is listening
            else if (status == StatusCodes.Status503ServiceUnavailable)
            {
                log.LogWarning("{Method} {Path} needed the database, which is unreachable: {Message}", http.Request.Method, http.Request.Path, exception.Message);
                http.Response.Headers.RetryAfter = StoreFaults.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            http.Response.StatusCode = status;
            var context = new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = status, Title = title, Detail = detail },
                Exception = exception,
            };
            // A value that does not parse is invalid like any other: named under "errors", as validation problems have it.
            if (exception is BadHttpRequestException b && UnparsedParameter(b) is { } unparsed)
                context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [unparsed.Name] = [unparsed.Detail] };
            return await problems.TryWriteAsync(context);
        }

        private static (int Status, string Title, string Detail) Classify(Exception e) => e switch
        {
            ClientProblemException c => (c.Status, TitleOf(c.Status), c.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } b => (413, "The request body is too large", b.Message),
            BadHttpRequestException { InnerException: JsonException j } => (400, "The request is malformed", $"The JSON body could not be read: {j.Message}"),
            BadHttpRequestException b when UnparsedParameter(b) is { } unparsed => (422, "A value is out of range", unparsed.Detail),
            BadHttpRequestException b => (b.StatusCode, "The request is malformed", b.Message),
            JsonException j => (400, "The request is malformed", $"The JSON body could not be read: {j.Message}"),
            InvalidImageException i => (400, "The image is malformed", i.Message),
            UnsupportedImageException u => (415, "Unsupported media", u.Message),
            ImageOverLimitException l => (422, "The image is over a limit", l.Message),
            OperationCanceledException => (499, "", ""),
            _ when StoreFaults.IsUnavailable(e) => (503, "The database is unavailable",
                $"This request needs the service's database, which does not answer right now ({e.Message}). Models this node has already loaded are still served; retry in a few seconds."),
            _ => (500, "Internal error", "Something went wrong on the server; the error was logged. Retry, and report it if it persists."),
        };

        /// <summary>ASP.NET Core's 'Failed to bind parameter "int N" from "lots".' as the query parameter n and a sentence about it.</summary>
        private static (string Name, string Detail)? UnparsedParameter(BadHttpRequestException e)
        {
            var match = BindFailure().Match(e.Message);
            if (!match.Success) return null;
            string name = match.Groups["name"].Value, type = match.Groups["type"].Value, value = match.Groups["value"].Value;
            name = char.ToLowerInvariant(name[0]) + name[1..];
            string expected = type.Replace("Nullable<", "", StringComparison.Ordinal).TrimEnd('>', '?') switch
            {
                "int" or "long" or "Int32" or "Int64" => "a whole number",
                "float" or "double" or "Single" or "Double" => "a number",
                "bool" or "Boolean" => "true or false",
                var other => $"a value of type {other}",
            };
            return (name, $"{name} must be {expected}, got \"{value}\".");
        }

        [System.Text.RegularExpressions.GeneratedRegex("^Failed to bind parameter \"(?<type>.+) (?<name>\\w+)\" from \"(?<value>.*)\"\\.$", System.Text.RegularExpressions.RegexOptions.Singleline)]
        private static partial System.Text.RegularExpressions.Regex BindFailure();

        private static string TitleOf(int status) => status switch
        {
            400 => "The request is malformed",
            404 => "Not found",
            409 => "Not ready",
            413 => "The request body is too large",
            415 => "Unsupported media",
            422 => "A value is out of range",
            _ => "Request failed",
        };
    }
}
