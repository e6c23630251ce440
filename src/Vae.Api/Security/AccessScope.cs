namespace Vae.Api.Security;

/// <summary>
/// What a key may do, each scope including those below it: read (lists, images, weights, scores,
/// metrics), write (create, cancel, upload, delete), admin (the job dashboard's retry and delete).
/// </summary>
public enum AccessScope
{
    Read = 1,
    Write = 2,
    Admin = 3,
}

public static class AccessScopes
{
    public static readonly IReadOnlyList<string> Names = ["read", "write", "admin"];

    public static string Name(this AccessScope scope) => Names[(int)scope - 1];

    public static bool TryParse(string? text, out AccessScope scope)
    {
        int i = text is null ? -1 : Names.ToList().IndexOf(text.Trim().ToLowerInvariant());
        scope = i < 0 ? default : (AccessScope)(i + 1);
        return i >= 0;
    }
}
