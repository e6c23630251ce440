using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Vae.Api.Security;

/// <summary>Compares two SHA-256 hashes; <see cref="CryptographicOperations.FixedTimeEquals"/> unless a test counts the calls.</summary>
public delegate bool HashComparer(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right);

/// <summary>One configured key as the service holds it: a name, a hash, a scope. The key itself is never kept.</summary>
public sealed record ApiKey(string Name, byte[] Hash, AccessScope Scope);

/// <summary>
/// The configured keys, looked up by the key a request presents. The presented key is hashed and
/// compared with every configured hash in fixed time, all of them whatever matched, so neither the
/// time taken nor an early exit tells a guesser how close a guess came or which key it hit.
/// </summary>
public sealed class ApiKeyRing
{
    /// <summary>The name <c>Security:ApiKey</c> goes by: a key with every scope.</summary>
    public const string LegacyName = "Security:ApiKey";

    private readonly ApiKey[] _keys;
    private readonly HashComparer _equals;

    public ApiKeyRing(IOptions<SecurityOptions> options, HashComparer? equals = null)
    {
        _equals = equals ?? CryptographicOperations.FixedTimeEquals;
        var o = options.Value;
        var keys = new List<ApiKey>();
        if (!string.IsNullOrEmpty(o.ApiKey)) keys.Add(new ApiKey(LegacyName, HashOf(o.ApiKey), AccessScope.Admin));
        foreach (var k in o.Keys)
            keys.Add(new ApiKey(k.Name, Convert.FromHexString(k.Hash.Trim()), k.Scopes.Select(s => AccessScopes.TryParse(s, out var scope) ? scope : AccessScope.Read).Max()));
        _keys = [.. keys];
    }

    public IReadOnlyList<ApiKey> Keys => _keys;

    public bool IsEmpty => _keys.Length == 0;

    /// <summary>The configured key that <paramref name="presented"/> is, or null.</summary>
    public ApiKey? Find(string presented)
    {
        byte[] hash = HashOf(presented);
        ApiKey? found = null;
        foreach (var key in _keys)
        {
            // No break: every hash is compared, so a match costs what a miss does.
            if (_equals(hash, key.Hash)) found ??= key;
        }
        return found;
    }

    /// <summary>What <c>printf %s KEY | sha256sum</c> prints, as bytes.</summary>
    public static byte[] HashOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
