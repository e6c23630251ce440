using System.Net;
using System.Net.Http.Json;
using Vae.Api.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>Who may queue and cancel jobs; reading is open to everyone.</summary>
public sealed class JobWriteAccessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Without_a_configured_key_a_remote_client_may_read_but_not_queue_or_cancel()
    {
        using var factory = new ServiceFactory(output, remoteAddress: IPAddress.Parse("203.0.113.7"));
        var client = factory.CreateClient();

        var post = await client.PostJsonAsync("{}");
        var delete = await client.DeleteAsync("/api/jobs/anything");
        var list = await client.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Contains("X-Api-Key", (await post.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Empty((await list.Content.ReadFromJsonAsync<JobList>(JobsClient.Json))!.Jobs);
    }

    [Fact]
    public async Task With_a_configured_key_a_write_needs_that_key()
    {
        const string key = "correct horse battery staple";
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Security:ApiKey"] = key },
            remoteAddress: IPAddress.Parse("203.0.113.7"));
        var client = factory.CreateClient();

        var missing = await client.PostJsonAsync("{}");
        var wrong = await client.PostJsonAsync("{}", apiKey: "guess");
        var right = await client.PostJsonAsync("""{"model":{"family":"mlp","hiddenSizes":[32],"latentDim":2},"epochs":1}""", apiKey: key);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, right.StatusCode);
        var job = (await right.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.DeleteAsync($"/api/jobs/{job.Id}")).StatusCode);
        await client.CancelQuietlyAsync(job.Id, key);
    }
}
