using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;

namespace Vae.Api.Security;

/// <summary>
/// A fixed window of requests per client address (the real client behind a known proxy, see
/// <see cref="ClientAddress"/>), so one client cannot starve the others; 429 with Retry-After beyond it.
/// </summary>
public static class RateLimits
{
    public const string Policy = "per-client";

    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
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
            limiter.AddPolicy(Policy, http =>
            {
                var o = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(ClientAddress.Of(http), _ => new FixedWindowRateLimiterOptions
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
}
