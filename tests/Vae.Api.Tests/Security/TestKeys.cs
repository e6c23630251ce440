using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Vae.Api.Tests.Security;

/// <summary>Keys the access tests configure (by hash, as an operator would) and send.</summary>
internal static class TestKeys
{
    public const string Reader = "reader-key-4f1c9a";
    public const string Writer = "writer-key-8b27de";
    public const string Admin = "admin-key-c03e55";

    public static readonly IPAddress Elsewhere = IPAddress.Parse("203.0.113.7");

    /// <summary>What <c>printf %s KEY | sha256sum</c> prints.</summary>
    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    /// <summary>Security:Keys with a reader, a writer and an admin; more settings may follow.</summary>
    public static Dictionary<string, string?> Settings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>();
        int i = 0;
        foreach (var (name, key, scope) in new[] { ("reader", Reader, "read"), ("writer", Writer, "write"), ("admin", Admin, "admin") })
        {
            settings[$"Security:Keys:{i}:Name"] = name;
            settings[$"Security:Keys:{i}:Hash"] = Hash(key);
            settings[$"Security:Keys:{i}:Scopes:0"] = scope;
            i++;
        }
        foreach (var (k, v) in more) settings[k] = v;
        return settings;
    }

    /// <summary>Sends a request with the key in X-Api-Key (none when null) and any other headers given.</summary>
    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, string? key = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post) request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return client.SendAsync(request);
    }
}
