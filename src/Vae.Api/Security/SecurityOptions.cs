namespace Vae.Api.Security;

/// <summary>Who may change things ("Security" section).</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";
    /// <summary>Key for X-Api-Key on writes; when empty, writes are accepted only from loopback.</summary>
    public string? ApiKey { get; set; }
    /// <summary>Requests per client per window.</summary>
    public int PermitLimit { get; set; } = 1000;
    public int WindowSeconds { get; set; } = 10;
    /// <summary>Queued beyond the limit before rejecting with 429.</summary>
    public int QueueLimit { get; set; } = 50;
}
