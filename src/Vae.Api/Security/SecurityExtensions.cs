using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;

namespace Vae.Api.Security;

/// <summary>
/// Reads are open; writes (creating and cancelling jobs, deleting models) need the X-Api-Key
/// header to match the configured key, or, when no key is configured, a loopback client.
/// Every endpoint is rate-limited per client address.
/// </summary>
public static class SecurityExtensions
{
    public const string RatePolicy = "per-client";
    public const string ApiKeyHeader = "X-Api-Key";

    public static IServiceCollection AddSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecurityOptions>().Bind(configuration.GetSection(SecurityOptions.Section))
            .Validate(o => o.PermitLimit > 0 && o.WindowSeconds > 0 && o.QueueLimit >= 0, "Security: PermitLimit and WindowSeconds must be positive, QueueLimit non-negative.")
            .ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problems.Make(StatusCodes.Status429TooManyRequests, "Too many requests",
                    "This client sent more requests than the service allows per window; wait a moment and retry.").ExecuteAsync(http);
            };
            limiter.AddPolicy(RatePolicy, http =>
            {
                var o = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
                string client = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = o.PermitLimit,
                    Window = TimeSpan.FromSeconds(o.WindowSeconds),
                    QueueLimit = o.QueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
            });
        });
        return services;
    }

    /// <summary>Marks an endpoint as a write: it then needs the API key (or loopback when none is configured).</summary>
    public static TBuilder RequireWriteAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(Infrastructure.OpenApiConventions.WriteAccessMetadata.Instance);
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var o = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
            if (string.IsNullOrEmpty(o.ApiKey))
            {
                var remote = http.Connection.RemoteIpAddress;
                // The test host has no remote address; it is in-process, hence local.
                if (remote is null || IPAddress.IsLoopback(remote)) return await next(context);
                return Problems.Make(StatusCodes.Status403Forbidden, "Writes are limited to this machine",
                    "No API key is configured, so changes (creating or cancelling jobs, uploading or deleting datasets, deleting models or their latent directions) are accepted only from loopback. Configure Security:ApiKey and send it in the X-Api-Key header.");
            }
            string? given = http.Request.Headers[ApiKeyHeader];
            if (given is null)
                return Problems.Make(StatusCodes.Status401Unauthorized, "API key required", $"Send the service's API key in the {ApiKeyHeader} header to change jobs, datasets or models.");
            if (!FixedTimeEquals(given, o.ApiKey))
                return Problems.Make(StatusCodes.Status403Forbidden, "Wrong API key", $"The {ApiKeyHeader} header does not match the service's API key.");
            return await next(context);
        });
        return builder;
    }

    /// <summary>Whether the request may change things: it carries the configured key, or none is configured and it comes from this machine.</summary>
    public static bool MayWrite(HttpContext http, SecurityOptions options)
    {
        if (string.IsNullOrEmpty(options.ApiKey)) return IsLocal(http);
        return http.Request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } given && FixedTimeEquals(given, options.ApiKey);
    }

    /// <summary>A loopback client; the test host has no remote address: it is in-process, hence local.</summary>
    public static bool IsLocal(HttpContext http) => http.Connection.RemoteIpAddress is not { } remote || IPAddress.IsLoopback(remote);

    private static bool FixedTimeEquals(string a, string b)
        => CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}
