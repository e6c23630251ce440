using System.Net;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Security;

/// <summary>
/// Keys with scopes: read, write (which includes read) and admin (which includes both); the single
/// Security:ApiKey of old is a key with every scope. The client is on another machine throughout,
/// so the loopback rule cannot be what lets a request in.
/// </summary>
public sealed class KeyScopeTests(ITestOutputHelper output)
{
    private const string Write = "/api/jobs/jnothere"; // DELETE: 404 once let in
    private const string Read = "/api/jobs";

    [Fact]
    public async Task A_write_needs_a_key_with_the_write_scope_and_a_read_key_is_refused_naming_its_scope()
    {
        using var factory = new ServiceFactory(output, settings: TestKeys.Settings(), remoteAddress: TestKeys.Elsewhere);
        var client = factory.CreateClient();

        var none = await client.SendAsync(HttpMethod.Delete, Write);
        var wrong = await client.SendAsync(HttpMethod.Delete, Write, "guess");
        var reader = await client.SendAsync(HttpMethod.Delete, Write, TestKeys.Reader);
        var writer = await client.SendAsync(HttpMethod.Delete, Write, TestKeys.Writer);
        var admin = await client.SendAsync(HttpMethod.Delete, Write, TestKeys.Admin);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("write scope", (await none.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        string detail = (await reader.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("'reader' has the read scope", detail);
        Assert.Equal(HttpStatusCode.NotFound, writer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
    }

    [Fact]
    public async Task With_keys_configured_reads_stay_open_unless_keys_are_required_for_them()
    {
        using var factory = new ServiceFactory(output, settings: TestKeys.Settings(), remoteAddress: TestKeys.Elsewhere);
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, Read)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(HttpMethod.Get, "/api/models/mnothere/weights")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, Read, "not a key at all")).StatusCode); // an open read does not look at keys
    }

    [Fact]
    public async Task Requiring_keys_for_reads_puts_lists_weights_and_scores_behind_a_read_key_but_not_health_or_the_api_document()
    {
        using var factory = new ServiceFactory(output, settings: TestKeys.Settings(("Security:RequireKeyForReads", "true")), remoteAddress: TestKeys.Elsewhere);
        var client = factory.CreateClient();

        foreach (var (method, path) in new[] { (HttpMethod.Get, Read), (HttpMethod.Get, "/api/models/mnothere/weights"), (HttpMethod.Post, "/api/models/mnothere/score"),
            (HttpMethod.Get, "/api/models"), (HttpMethod.Get, "/api/datasets"), (HttpMethod.Get, "/api/families"), (HttpMethod.Get, "/api/sweeps") })
        {
            var none = await client.SendAsync(method, path);
            Assert.True(none.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} without a key: {(int)none.StatusCode}");
            Assert.Contains("read scope", (await none.ProblemAsync()).GetProperty("detail").GetString());
            Assert.NotEmpty(none.Headers.WwwAuthenticate);
            var wrong = await client.SendAsync(method, path, "guess");
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            var read = await client.SendAsync(method, path, TestKeys.Reader);
            Assert.True(read.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{method} {path} with the read key: {(int)read.StatusCode}");
        }
        // Write and admin include read.
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, Read, TestKeys.Writer)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, Read, TestKeys.Admin)).StatusCode);
        // Probes and the API's description stay open.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/swagger/v1/swagger.json")).StatusCode);
    }

    [Fact]
    public async Task With_keys_required_for_reads_the_api_document_asks_for_the_key_on_reads_too_so_swagger_ui_sends_it()
    {
        using var open = new ServiceFactory(output, settings: TestKeys.Settings());
        using var closed = new ServiceFactory(output, settings: TestKeys.Settings(("Security:RequireKeyForReads", "true")));

        var openDoc = await ReadDocumentAsync(open);
        var closedDoc = await ReadDocumentAsync(closed);

        Assert.Equal("X-Api-Key", closedDoc.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey").GetProperty("name").GetString());
        var openList = openDoc.GetProperty("paths").GetProperty("/api/jobs").GetProperty("get");
        var closedList = closedDoc.GetProperty("paths").GetProperty("/api/jobs").GetProperty("get");
        Assert.Equal(0, openList.GetProperty("security").GetArrayLength());
        Assert.True(closedList.GetProperty("security")[0].TryGetProperty("apiKey", out _));
        Assert.True(closedList.GetProperty("responses").TryGetProperty("401", out _));
        // Every API operation, however it was mapped, is behind the key.
        foreach (var path in closedDoc.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
            foreach (var operation in path.Value.EnumerateObject())
                Assert.True(operation.Value.GetProperty("security").GetArrayLength() == 1, $"{operation.Name.ToUpperInvariant()} {path.Name} is not behind the key");
        Assert.Equal(0, closedDoc.GetProperty("paths").GetProperty("/health/ready").GetProperty("get").GetProperty("security").GetArrayLength());
    }

    private static async Task<System.Text.Json.JsonElement> ReadDocumentAsync(ServiceFactory factory)
        => System.Text.Json.JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json")).RootElement;

    [Fact]
    public async Task A_key_is_taken_from_a_bearer_or_basic_authorization_header_too()
    {
        using var factory = new ServiceFactory(output, settings: TestKeys.Settings(), remoteAddress: TestKeys.Elsewhere);
        var client = factory.CreateClient();
        string basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("anyone:" + TestKeys.Writer));

        var bearer = await client.SendAsync(HttpMethod.Delete, Write, null, ("Authorization", "Bearer " + TestKeys.Writer));
        var basicAuth = await client.SendAsync(HttpMethod.Delete, Write, null, ("Authorization", "Basic " + basic));
        var malformed = await client.SendAsync(HttpMethod.Delete, Write, null, ("Authorization", "Basic not-base64!"));

        Assert.Equal(HttpStatusCode.NotFound, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, basicAuth.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, malformed.StatusCode);
    }

    [Fact]
    public async Task The_single_api_key_of_old_is_a_key_with_every_scope()
    {
        const string key = "correct horse battery staple";
        using var factory = new ServiceFactory(output, remoteAddress: TestKeys.Elsewhere,
            settings: new Dictionary<string, string?> { ["Security:ApiKey"] = key, ["Security:RequireKeyForReads"] = "true" });
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, Read, key)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(HttpMethod.Delete, Write, key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, "/metrics", key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, "/hangfire", key)).StatusCode);
        using var change = new HttpRequestMessage(HttpMethod.Post, "/hangfire/jobs/enqueued/delete") { Content = new FormUrlEncodedContent([new("jobs[]", "12345")]) };
        change.Headers.Add("X-Api-Key", key);
        Assert.True((await client.SendAsync(change)).IsSuccessStatusCode, "a change in the dashboard with the old key");
    }

    [Fact]
    public async Task Without_keys_another_machine_may_read_but_not_write_look_at_metrics_or_the_dashboard()
    {
        using var factory = new ServiceFactory(output, remoteAddress: TestKeys.Elsewhere);
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, Read)).StatusCode);
        foreach (var (method, path) in new[] { (HttpMethod.Delete, Write), (HttpMethod.Get, "/metrics"), (HttpMethod.Get, "/hangfire") })
        {
            var refused = await client.SendAsync(method, path, TestKeys.Admin); // a key means nothing when none is configured
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)refused.StatusCode}");
            Assert.Contains("Security:Keys", (await refused.ProblemAsync()).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task Without_keys_this_machine_may_do_everything()
    {
        using var factory = new ServiceFactory(output, remoteAddress: IPAddress.Loopback, settings: new Dictionary<string, string?> { ["Security:RequireKeyForReads"] = "true" });
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, Read)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(HttpMethod.Delete, Write)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, "/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, "/hangfire")).StatusCode);
    }

    [Fact]
    public async Task Requiring_keys_for_reads_without_any_key_limits_reads_to_this_machine()
    {
        using var factory = new ServiceFactory(output, remoteAddress: TestKeys.Elsewhere, settings: new Dictionary<string, string?> { ["Security:RequireKeyForReads"] = "true" });
        var read = await factory.CreateClient().SendAsync(HttpMethod.Get, Read);

        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Contains("reads", (await read.ProblemAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_metrics_need_a_read_key_even_while_reads_are_open()
    {
        using var factory = new ServiceFactory(output, settings: TestKeys.Settings(), remoteAddress: TestKeys.Elsewhere);
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(HttpMethod.Get, "/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, "/metrics", TestKeys.Reader)).StatusCode);
    }

    [Fact]
    public async Task The_dashboard_shows_itself_to_a_read_key_read_only_asks_a_browser_for_the_key_and_takes_changes_from_an_admin_key_only()
    {
        using var factory = new ServiceFactory(output, settings: TestKeys.Settings(), remoteAddress: TestKeys.Elsewhere);
        var client = factory.CreateClient();
        var form = () => new FormUrlEncodedContent([new("jobs[]", "12345")]);

        var none = await client.SendAsync(HttpMethod.Get, "/hangfire");
        var look = await client.SendAsync(HttpMethod.Get, "/hangfire/jobs/enqueued", TestKeys.Reader);
        var changes = new Dictionary<string, HttpStatusCode>();
        foreach (var (name, key) in new[] { ("reader", TestKeys.Reader), ("writer", TestKeys.Writer), ("admin", TestKeys.Admin) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hangfire/jobs/enqueued/delete") { Content = form() };
            request.Headers.Add("X-Api-Key", key);
            changes[name] = (await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains(none.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        Assert.Equal(HttpStatusCode.OK, look.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, changes["reader"]);
        Assert.NotEqual(HttpStatusCode.OK, changes["writer"]);
        Assert.True(changes["admin"] is HttpStatusCode.OK or HttpStatusCode.NoContent, $"admin: {changes["admin"]}");
        output.WriteLine(string.Join(", ", changes.Select(c => $"{c.Key}: {(int)c.Value}")));
    }
}
