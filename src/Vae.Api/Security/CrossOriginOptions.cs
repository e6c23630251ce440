namespace Vae.Api.Security;

/// <summary>Which web pages on other origins may call the API from a browser ("Cors" section).</summary>
public sealed class CrossOriginOptions
{
    public const string Section = "Cors";

    /// <summary>
    /// Origins (scheme://host[:port], no path) whose pages may call the API; "*" allows any. None by
    /// default: the demo page is served by the service itself and needs no cross-origin access.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>How long a browser may keep a preflight's answer.</summary>
    public int PreflightMaxAgeSeconds { get; set; } = 600;
}
