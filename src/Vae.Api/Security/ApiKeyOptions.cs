namespace Vae.Api.Security;

/// <summary>
/// One key of "Security:Keys": its name (said in refusals and logs in place of the key), the SHA-256
/// of the key as 64 hexadecimal digits (<c>printf %s KEY | sha256sum</c>), and what it may do.
/// </summary>
public sealed class ApiKeyOptions
{
    public string Name { get; set; } = "";

    /// <summary>SHA-256 of the key's UTF-8 bytes, hexadecimal; the key itself is never configured.</summary>
    public string Hash { get; set; } = "";

    /// <summary>Any of read, write, admin; each includes those before it.</summary>
    public List<string> Scopes { get; set; } = [];
}
