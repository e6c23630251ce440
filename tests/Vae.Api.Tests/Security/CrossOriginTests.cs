using System.Net;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Security;

/// <summary>Pages on other origins: preflights answered for Cors:AllowedOrigins only, responses readable by those pages only.</summary>
public sealed class CrossOriginTests(ITestOutputHelper output)
{
    private const string Allowed = "https://app.example.com";

    private static Dictionary<string, string?> Origins(params string[] origins)
        => origins.Select((o, i) => (o, i)).ToDictionary(p => $"Cors:AllowedOrigins:{p.i}", p => (string?)p.o);

    private static Task<HttpResponseMessage> PreflightAsync(HttpClient client, string origin, string path = "/api/jobs", string method = "POST")
        => client.SendAsync(HttpMethod.Options, path, null, ("Origin", origin), ("Access-Control-Request-Method", method), ("Access-Control-Request-Headers", "content-type,x-api-key"));

    [Fact]
    public async Task A_preflight_from_an_allowed_origin_is_answered_with_the_methods_and_headers_the_api_takes()
    {
        using var factory = new ServiceFactory(output, settings: Origins(Allowed, "http://localhost:3000"));
        var client = factory.CreateClient();

        var post = await PreflightAsync(client, Allowed);
        var get = await PreflightAsync(client, "http://localhost:3000", "/api/models/default/samples.png", "GET");

        Assert.Equal(HttpStatusCode.NoContent, post.StatusCode);
        Assert.Equal(Allowed, Assert.Single(post.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("POST", string.Join(",", post.Headers.GetValues("Access-Control-Allow-Methods")));
        string headers = string.Join(",", post.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.Contains("x-api-key", headers);
        Assert.Contains("content-type", headers);
        Assert.Equal(HttpStatusCode.NoContent, get.StatusCode);
        Assert.Equal("http://localhost:3000", Assert.Single(get.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task A_preflight_from_another_origin_is_refused_with_a_problem_naming_the_setting()
    {
        using var factory = new ServiceFactory(output, settings: Origins(Allowed));
        var refused = await PreflightAsync(factory.CreateClient(), "https://evil.example.net");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        string detail = (await refused.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("https://evil.example.net", detail);
        Assert.Contains("Cors:AllowedOrigins", detail);
    }

    [Fact]
    public async Task By_default_no_origin_is_allowed_and_a_preflight_is_a_403_not_a_405()
    {
        using var factory = new ServiceFactory(output);
        var refused = await PreflightAsync(factory.CreateClient(), Allowed);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("no other origin", (await refused.ProblemAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_response_carries_the_cross_origin_headers_for_an_allowed_origin_only()
    {
        using var factory = new ServiceFactory(output, settings: Origins(Allowed));
        var client = factory.CreateClient();

        var allowed = await client.SendAsync(HttpMethod.Get, "/api/jobs", null, ("Origin", Allowed));
        var other = await client.SendAsync(HttpMethod.Get, "/api/jobs", null, ("Origin", "https://evil.example.net"));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(Allowed, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("X-Grid-Columns", string.Join(",", allowed.Headers.GetValues("Access-Control-Expose-Headers")));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode); // the server answers; the browser keeps the answer from the page
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_star_allows_any_origin()
    {
        using var factory = new ServiceFactory(output, settings: Origins("*"));
        var answered = await PreflightAsync(factory.CreateClient(), "https://anywhere.example.org");

        Assert.Equal(HttpStatusCode.NoContent, answered.StatusCode);
        Assert.Equal("*", Assert.Single(answered.Headers.GetValues("Access-Control-Allow-Origin")));
    }
}
