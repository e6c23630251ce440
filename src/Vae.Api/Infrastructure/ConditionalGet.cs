using System.Security.Cryptography;
using System.Text;

namespace Vae.Api.Infrastructure;

/// <summary>ETags and caching headers for responses that a key fully determines, such as rendered images.</summary>
public static class ConditionalGet
{
    /// <summary>
    /// Sets the ETag (a hash of <paramref name="key"/>) and Cache-Control, and tells whether the
    /// client's If-None-Match already names this response, so that a 304 can answer it.
    /// <paramref name="immutable"/> responses may be kept a year without asking again; the others
    /// are revalidated on every use.
    /// </summary>
    public static bool Cached(HttpContext http, string key, bool immutable)
    {
        string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 12)) + "\"";
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "public, no-cache";
        foreach (var value in http.Request.Headers.IfNoneMatch)
        {
            if (value is null) continue;
            foreach (var tag in value.Split(',', StringSplitOptions.TrimEntries))
                if (tag == "*" || tag == etag || tag == "W/" + etag) return true;
        }
        return false;
    }
}
