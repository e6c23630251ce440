using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Models;

namespace Vae.Api.Security;

/// <summary>
/// Cross-origin requests from the pages of Cors:AllowedOrigins: their preflights are answered (204
/// with the methods and headers the API takes, X-Api-Key among them) and their responses carry the
/// headers that let the page read them. A preflight from any other origin gets a 403 that names the
/// setting, rather than the 405 a route without OPTIONS would give. No credentials (cookies) are
/// involved: keys travel in headers a page sets itself.
/// </summary>
public static class CrossOrigin
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "DELETE"];

    private static readonly string[] RequestHeaders =
        ["Content-Type", "Accept", AccessRules.ApiKeyHeader, "Authorization", "Last-Event-ID", "If-None-Match", "If-Modified-Since", "Range"];

    private static readonly string[] ResponseHeaders =
        ["Location", "ETag", "Retry-After", "Content-Disposition", "Content-Range", "Accept-Ranges", .. GridLayout.Headers.Keys];

    public static IServiceCollection AddCrossOrigin(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CrossOriginOptions>().Bind(configuration.GetSection(CrossOriginOptions.Section))
            .Validate(o => o.AllowedOrigins.All(IsOrigin), "Cors:AllowedOrigins: each entry must be an origin, scheme://host[:port] with no path or trailing slash (https://app.example.com), or \"*\" for any.")
            .Validate(o => o.PreflightMaxAgeSeconds >= 0, "Cors:PreflightMaxAgeSeconds must not be negative.")
            .ValidateOnStart();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<CrossOriginOptions>>((cors, allowed) => cors.AddDefaultPolicy(policy =>
        {
            var origins = allowed.Value.AllowedOrigins;
            if (origins.Contains("*")) policy.AllowAnyOrigin();
            else policy.WithOrigins([.. origins]);
            policy.WithMethods(Methods).WithHeaders(RequestHeaders).WithExposedHeaders(ResponseHeaders)
                .SetPreflightMaxAge(TimeSpan.FromSeconds(allowed.Value.PreflightMaxAgeSeconds));
        }));
        return services;
    }

    public static WebApplication UseCrossOrigin(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (IsPreflight(http.Request) && http.Request.Headers.Origin.ToString() is var origin && !await AllowsAsync(http, origin))
            {
                var allowed = http.RequestServices.GetRequiredService<IOptions<CrossOriginOptions>>().Value.AllowedOrigins;
                await Problems.Make(StatusCodes.Status403Forbidden, "Cross-origin requests from this origin are not allowed",
                    $"Pages on {origin} may not call this service: it allows {(allowed.Count == 0 ? "no other origin" : string.Join(", ", allowed))}. "
                    + "Add the origin to Cors:AllowedOrigins (scheme://host[:port]) to let its pages call the API.").ExecuteAsync(http);
                return;
            }
            await next(http);
        });
        app.UseCors();
        return app;
    }

    private static bool IsPreflight(HttpRequest request)
        => HttpMethods.IsOptions(request.Method) && request.Headers.Origin.Count > 0 && request.Headers.AccessControlRequestMethod.Count > 0;

    private static async Task<bool> AllowsAsync(HttpContext http, string origin)
    {
        var policy = await http.RequestServices.GetRequiredService<ICorsPolicyProvider>().GetPolicyAsync(http, null);
        return policy is not null && (policy.AllowAnyOrigin || policy.IsOriginAllowed(origin));
    }

    private static bool IsOrigin(string text)
        => text == "*" || (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.AbsolutePath == "/" && !text.EndsWith('/') && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo));
}
