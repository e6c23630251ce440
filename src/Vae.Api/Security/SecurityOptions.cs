namespace Vae.Api.Security;

/// <summary>Who may do what, from where, how often ("Security" section).</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// A single key with every scope, kept so existing deployments (docker-compose.yml sets it) go on
    /// working; it is hashed at start and then compared like the keys of <see cref="Keys"/>.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Named keys, each stored as the SHA-256 of the key and granted some scopes.</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];

    /// <summary>When true, reads (lists, images, weights, scores) need a key with the read scope too.</summary>
    public bool RequireKeyForReads { get; set; }

    /// <summary>
    /// Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; a request
    /// from any other address is taken at its socket's word. Empty (the default): no proxy is believed.
    /// </summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies, in CIDR notation (10.0.0.0/8, fd00::/8).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Requests per client per window.</summary>
    public int PermitLimit { get; set; } = 1000;
    public int WindowSeconds { get; set; } = 10;
    /// <summary>Queued beyond the limit before rejecting with 429.</summary>
    public int QueueLimit { get; set; } = 50;

    /// <summary>Whether any key is configured: with none, the loopback rule decides instead.</summary>
    public bool HasKeys => !string.IsNullOrEmpty(ApiKey) || Keys.Count > 0;
}
