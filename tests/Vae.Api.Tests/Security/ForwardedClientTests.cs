using System.Net;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Security;

/// <summary>
/// Behind a reverse proxy: X-Forwarded-For is believed only from Security:KnownProxies and
/// Security:KnownNetworks, for the loopback rule and the rate limiter alike. No key is configured
/// here, so the loopback rule decides writes: a DELETE of an unknown job is a 404 when let in.
/// </summary>
public sealed class ForwardedClientTests(ITestOutputHelper output)
{
    private const string Write = "/api/jobs/jnothere";
    private static readonly IPAddress Proxy = IPAddress.Parse("10.0.0.2");

    private static Dictionary<string, string?> Limits(params (string Key, string? Value)[] more)
    {
        // Two requests per client per hour: the third is refused, and no window ends during a test.
        var settings = new Dictionary<string, string?> { ["Security:PermitLimit"] = "2", ["Security:WindowSeconds"] = "3600", ["Security:QueueLimit"] = "0" };
        foreach (var (k, v) in more) settings[k] = v;
        return settings;
    }

    private static Task<HttpResponseMessage> AsAsync(HttpClient client, HttpMethod method, string path, string forwardedFor)
        => client.SendAsync(method, path, null, ("X-Forwarded-For", forwardedFor));

    [Fact]
    public async Task A_spoofed_forwarded_for_from_an_address_that_is_no_known_proxy_changes_nothing()
    {
        using var factory = new ServiceFactory(output, remoteAddress: TestKeys.Elsewhere, settings: Limits(("Security:KnownProxies:0", Proxy.ToString())));
        var client = factory.CreateClient();

        var write = await AsAsync(client, HttpMethod.Delete, Write, "127.0.0.1");
        // Each request claims another client, yet all share the sender's bucket.
        var first = await AsAsync(client, HttpMethod.Get, "/api/jobs", "198.51.100.1");
        var third = await AsAsync(client, HttpMethod.Get, "/api/jobs", "198.51.100.2");

        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode); // the write above was the first request of the bucket
    }

    [Fact]
    public async Task Behind_a_known_proxy_the_real_client_is_seen_by_the_write_rule()
    {
        using var factory = new ServiceFactory(output, remoteAddress: Proxy, settings: Limits(("Security:KnownProxies:0", Proxy.ToString())));
        var client = factory.CreateClient();

        var remote = await AsAsync(client, HttpMethod.Delete, Write, "203.0.113.9");
        var local = await AsAsync(client, HttpMethod.Delete, Write, "127.0.0.1");

        Assert.Equal(HttpStatusCode.Forbidden, remote.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, local.StatusCode);
    }

    [Fact]
    public async Task Behind_a_known_proxy_each_real_client_has_its_own_rate_limit_bucket()
    {
        using var factory = new ServiceFactory(output, remoteAddress: Proxy, settings: Limits(("Security:KnownProxies:0", Proxy.ToString())));
        var client = factory.CreateClient();

        var a = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++) a.Add((await AsAsync(client, HttpMethod.Get, "/api/jobs", "198.51.100.1")).StatusCode);
        var b = await AsAsync(client, HttpMethod.Get, "/api/jobs", "198.51.100.2");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], a);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
    }

    [Fact]
    public async Task A_proxy_in_a_known_network_is_believed_through_a_chain_of_known_proxies()
    {
        using var factory = new ServiceFactory(output, remoteAddress: IPAddress.Parse("10.1.2.3"), settings: Limits(("Security:KnownNetworks:0", "10.1.0.0/16")));
        var client = factory.CreateClient();

        // client, then a second proxy in the network, then the sender
        var remote = await AsAsync(client, HttpMethod.Delete, Write, "203.0.113.9, 10.1.9.9");
        var local = await AsAsync(client, HttpMethod.Delete, Write, "::1, 10.1.9.9");

        Assert.Equal(HttpStatusCode.Forbidden, remote.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, local.StatusCode);
    }

    [Fact]
    public async Task A_proxy_on_this_machine_that_was_not_configured_does_not_make_its_clients_local()
    {
        using var factory = new ServiceFactory(output, remoteAddress: IPAddress.Loopback);
        var client = factory.CreateClient();

        var proxied = await AsAsync(client, HttpMethod.Delete, Write, "203.0.113.9");
        var direct = await client.SendAsync(HttpMethod.Delete, Write);

        Assert.Equal(HttpStatusCode.Forbidden, proxied.StatusCode);
        Assert.Contains("Security:KnownProxies", (await proxied.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
    }

    [Fact]
    public async Task A_proxy_on_this_machine_once_configured_passes_on_its_clients_addresses()
    {
        using var factory = new ServiceFactory(output, remoteAddress: IPAddress.Loopback, settings: Limits(("Security:KnownProxies:0", "127.0.0.1")));
        var client = factory.CreateClient();

        var remote = await AsAsync(client, HttpMethod.Delete, Write, "203.0.113.9");
        var local = await AsAsync(client, HttpMethod.Delete, Write, "127.0.0.1");

        Assert.Equal(HttpStatusCode.Forbidden, remote.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, local.StatusCode);
    }
}
