using Microsoft.Extensions.Options;

namespace Vae.Api.Security;

/// <summary>
/// Who may do what: keys with scopes (or, with none configured, this machine), put on endpoints as
/// <see cref="AccessRequirement"/> metadata and checked before the handler runs; the real client
/// behind known proxies; cross-origin requests; and a rate limit per client address.
/// </summary>
public static class SecurityExtensions
{
    public const string RatePolicy = RateLimits.Policy;
    public const string ApiKeyHeader = AccessRules.ApiKeyHeader;

    public static IServiceCollection AddSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecurityOptions>().Bind(configuration.GetSection(SecurityOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidation>();
        services.AddSingleton(sp => new ApiKeyRing(sp.GetRequiredService<IOptions<SecurityOptions>>(), sp.GetService<HashComparer>()));
        services.AddSingleton<AccessRules>();
        services.AddForwardedClients();
        services.AddCrossOrigin(configuration);
        services.AddRateLimits();
        return services;
    }

    /// <summary>
    /// In order: the real client behind known proxies (which every later step reads), cross-origin
    /// requests and their preflights, the rate limit, then each endpoint's access requirement.
    /// </summary>
    public static WebApplication UseSecurity(this WebApplication app)
    {
        app.UseForwardedClients();
        app.UseCrossOrigin();
        app.UseRateLimiter();
        app.Use(async (http, next) =>
        {
            if (Requirement(http.GetEndpoint()) is { } need
                && http.RequestServices.GetRequiredService<AccessRules>().Check(http, need) is { } refusal)
            {
                await AccessRules.RefuseAsync(http, refusal);
                return;
            }
            await next(http);
        });
        LogKeys(app);
        return app;
    }

    /// <summary>What an endpoint needs; null for one open to all (health, the API document).</summary>
    public static AccessRequirement? Requirement(Endpoint? endpoint)
        => endpoint is null ? null : AccessRequirement.Strongest(endpoint.Metadata.GetOrderedMetadata<AccessRequirement>());

    /// <summary>Marks an endpoint as a write: it then needs a key with the write scope (or loopback when no key is configured).</summary>
    public static TBuilder RequireWriteAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(AccessRequirement.Write);

    /// <summary>Marks endpoints as reads: open to all unless Security:RequireKeyForReads, then a key with the read scope.</summary>
    public static TBuilder RequireReadAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(AccessRequirement.Read);

    /// <summary>Says at start how access is decided, naming keys only by their names.</summary>
    private static void LogKeys(WebApplication app)
    {
        var o = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var ring = app.Services.GetRequiredService<ApiKeyRing>();
        if (ring.IsEmpty)
            app.Logger.LogInformation("Access: no API key is configured; writes, the metrics and the job dashboard are limited to loopback clients{Reads}",
                o.RequireKeyForReads ? ", and so are reads (Security:RequireKeyForReads)" : "; reads are open");
        else
            app.Logger.LogInformation("Access: {Count} API key(s): {Keys}; reads {Reads}", ring.Keys.Count,
                string.Join(", ", ring.Keys.Select(k => $"{k.Name} ({k.Scope.Name()})")), o.RequireKeyForReads ? "need a key with the read scope" : "are open");
    }
}
