using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;

namespace Vae.Api.Security;

/// <summary>A refusal: the ProblemDetails to answer and, for a 401, the challenge to send with it.</summary>
public sealed record AccessRefusal(ProblemHttpResult Problem, string? Challenge);

/// <summary>
/// Decides whether a request may do what an <see cref="AccessRequirement"/> guards. With keys
/// configured, a request presents one (X-Api-Key; or Authorization: Bearer KEY; or Basic with the key
/// as the password, which lets a browser open the job dashboard) with a scope at least the one
/// needed. With none configured, the loopback rule of old: this machine may do everything, others
/// only what is open to all. Keys are never logged; refusals name a key only by its configured name.
/// </summary>
public sealed class AccessRules(IOptions<SecurityOptions> options, ApiKeyRing keys)
{
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>Null when the request may go on; otherwise why not.</summary>
    public AccessRefusal? Check(HttpContext http, AccessRequirement need, string challenge = "Bearer realm=\"vae\"")
    {
        if (!need.IsGuarded(options.Value.RequireKeyForReads)) return null;
        if (keys.IsEmpty) return ClientAddress.IsLocal(http) ? null : LoopbackOnly(http, need);

        if (PresentedKey(http.Request) is not { } presented)
            return new(Problems.Make(StatusCodes.Status401Unauthorized, "API key required",
                $"Send a key with the {need.Scope.Name()} scope in the {ApiKeyHeader} header for {need.What}."), challenge);
        if (keys.Find(presented) is not { } key)
            return new(Problems.Make(StatusCodes.Status403Forbidden, "Wrong API key",
                $"The key sent in the {ApiKeyHeader} header is none of the service's keys."), null);
        if (key.Scope < need.Scope)
            return new(Problems.Make(StatusCodes.Status403Forbidden, "The key's scope is too narrow",
                $"The key '{key.Name}' has the {key.Scope.Name()} scope; {need.What} need the {need.Scope.Name()} scope. Use a key with it, or give this key the scope in Security:Keys."), null);
        return null;
    }

    /// <summary>Answers the refusal (with its challenge) on the response.</summary>
    public static Task RefuseAsync(HttpContext http, AccessRefusal refusal)
    {
        if (refusal.Challenge is { } challenge) http.Response.Headers.WWWAuthenticate = challenge;
        return refusal.Problem.ExecuteAsync(http);
    }

    private static AccessRefusal LoopbackOnly(HttpContext http, AccessRequirement need)
    {
        string detail = $"No API key is configured, so {need.What} are limited to this machine (loopback). "
            + $"Configure Security:Keys (or Security:ApiKey) and send a key in the {ApiKeyHeader} header.";
        if (ClientAddress.CameThroughUnknownProxy(http))
            detail += " This request came through a proxy the service was not told of: add its address to Security:KnownProxies, and the client behind it is seen.";
        return new(Problems.Make(StatusCodes.Status403Forbidden, "Limited to this machine", detail), null);
    }

    /// <summary>The key a request carries, from X-Api-Key, Authorization: Bearer, or Authorization: Basic (the password).</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } header) return header;
        string authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim() is { Length: > 0 } bearer ? bearer : null;
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                int colon = pair.IndexOf(':');
                return colon >= 0 && colon < pair.Length - 1 ? pair[(colon + 1)..] : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
        return null;
    }
}
