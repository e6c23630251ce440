using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace Vae.Api.Security;

/// <summary>
/// Checks the "Security" section at start, so a mistyped hash, an unknown scope or an address that
/// does not parse stops the service with a message naming the setting, rather than locking
/// everyone out (or in) later.
/// </summary>
public sealed class SecurityOptionsValidation : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions o)
    {
        var errors = new List<string>();
        if (o.PermitLimit <= 0 || o.WindowSeconds <= 0 || o.QueueLimit < 0)
            errors.Add("Security: PermitLimit and WindowSeconds must be positive, QueueLimit non-negative.");
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < o.Keys.Count; i++)
        {
            var key = o.Keys[i];
            string at = string.Create(CultureInfo.InvariantCulture, $"Security:Keys:{i}") + (string.IsNullOrWhiteSpace(key.Name) ? "" : $" ('{key.Name}')");
            if (string.IsNullOrWhiteSpace(key.Name))
                errors.Add($"{at}: Name is required; it stands for the key in refusals and logs.");
            else if (!names.Add(key.Name.Trim()) || key.Name.Trim() == ApiKeyRing.LegacyName)
                errors.Add($"{at}: the name '{key.Name}' is used twice; each key needs its own.");
            if (!IsSha256Hex(key.Hash))
                errors.Add($"{at}: Hash must be the SHA-256 of the key as 64 hexadecimal digits (printf %s KEY | sha256sum); "
                    + $"got {(key.Hash ?? "").Trim().Length} characters{(IsHex(key.Hash) ? "" : " that are not all hexadecimal")}. Configure the hash, never the key.");
            if (key.Scopes.Count == 0)
                errors.Add($"{at}: Scopes is empty; give one or more of {string.Join(", ", AccessScopes.Names)}.");
            foreach (string scope in key.Scopes)
            {
                if (!AccessScopes.TryParse(scope, out _))
                    errors.Add($"{at}: unknown scope '{scope}'; scopes are {string.Join(", ", AccessScopes.Names)}.");
            }
        }
        foreach (string proxy in o.KnownProxies)
        {
            if (!IPAddress.TryParse(proxy, out _))
                errors.Add($"Security:KnownProxies: '{proxy}' is not an IP address (a proxy is named by its address, e.g. 10.0.0.2 or ::1).");
        }
        foreach (string network in o.KnownNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
                errors.Add($"Security:KnownNetworks: '{network}' is not a network in CIDR notation (e.g. 10.0.0.0/8 or fd00::/8).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsSha256Hex(string? hash) => hash?.Trim() is { Length: 64 } && IsHex(hash);

    private static bool IsHex(string? text) => text is not null && text.Trim().All(Uri.IsHexDigit);
}
