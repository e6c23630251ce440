using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Vae.Api.Security;

/// <summary>
/// Who the client is when a reverse proxy stands in front: X-Forwarded-For and X-Forwarded-Proto
/// are believed only from the proxies of Security:KnownProxies and Security:KnownNetworks, so the
/// loopback rule and the rate limiter see the real client, and a header a client wrote itself
/// changes nothing. Without any configured proxy no forwarded header is believed at all.
/// </summary>
public static class ClientAddress
{
    public static IServiceCollection AddForwardedClients(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<SecurityOptions>>((forwarded, security) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The framework believes loopback by default; only what is configured is believed here.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (string proxy in security.Value.KnownProxies) forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (string network in security.Value.KnownNetworks) forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            // A chain of known proxies is walked to its first unknown address, the client.
            forwarded.ForwardLimit = null;
            forwarded.RequireHeaderSymmetry = false;
        });
        return services;
    }

    public static WebApplication UseForwardedClients(this WebApplication app)
    {
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        // The middleware with empty lists believes every sender, so it is left out when no proxy is configured.
        if (security.KnownProxies.Count + security.KnownNetworks.Count > 0) app.UseForwardedHeaders();
        return app;
    }

    /// <summary>The client's address for rate limits and messages (after any believed proxy).</summary>
    public static string Of(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "in-process";

    /// <summary>
    /// A client on this machine: loopback, or the test host's in-process client (no address). A
    /// loopback request still carrying X-Forwarded-For came through a proxy nobody configured, so it
    /// speaks for someone elsewhere and is not local.
    /// </summary>
    public static bool IsLocal(HttpContext http)
        => (http.Connection.RemoteIpAddress is not { } remote || IPAddress.IsLoopback(remote)) && !CameThroughUnknownProxy(http);

    /// <summary>Forwarding headers that no configured proxy consumed (a believed proxy's are taken off the request).</summary>
    public static bool CameThroughUnknownProxy(HttpContext http)
        => http.Request.Headers.ContainsKey(ForwardedHeadersDefaults.XForwardedForHeaderName) || http.Request.Headers.ContainsKey("Forwarded");
}
