using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>Hangfire's dashboard at /hangfire: the API's access rule, our job names, and a delete there is a cancel.</summary>
public sealed class JobsDashboardTests(ITestOutputHelper output)
{
    private static readonly IPAddress Elsewhere = IPAddress.Parse("203.0.113.7");

    [Fact]
    public async Task Without_an_api_key_the_dashboard_is_served_to_this_machine()
    {
        using var factory = new ServiceFactory(output);
        var page = await factory.CreateClient().GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("VAE training jobs", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_an_api_key_another_machine_is_refused_with_a_problem_saying_how_to_open_it()
    {
        using var factory = new ServiceFactory(output, remoteAddress: Elsewhere);
        var page = await factory.CreateClient().GetAsync("/hangfire/jobs/enqueued");

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal("application/problem+json", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Security:ApiKey", (await page.ProblemAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task With_an_api_key_a_request_carrying_it_may_look_and_change_and_one_without_it_neither()
    {
        using var factory = new ServiceFactory(output, remoteAddress: Elsewhere, settings: new Dictionary<string, string?> { ["Security:ApiKey"] = "s3cret" });
        var client = factory.CreateClient();
        // A finished job, to be deleted through the dashboard.
        var held = factory.Gate.HoldAtStart();
        var job = await PostAsync(client, "s3cret");
        await held.ReachedAsync();
        held.Release();
        await client.WaitUntilFinishedAsync(job.Id);
        string id = await BackgroundJobOfAsync(factory, job.Id);

        var lookWithoutKey = await client.GetAsync($"/hangfire/jobs/details/{id}");
        using var lookRequest = new HttpRequestMessage(HttpMethod.Get, $"/hangfire/jobs/details/{id}");
        lookRequest.Headers.Add("X-Api-Key", "s3cret");
        var look = await client.SendAsync(lookRequest);
        var withoutKey = await client.PostAsync($"/hangfire/jobs/actions/delete/{id}", null);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hangfire/jobs/actions/delete/{id}");
        request.Headers.Add("X-Api-Key", "s3cret");
        var withKey = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, lookWithoutKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, look.StatusCode);
        string html = await look.Content.ReadAsStringAsync();
        Assert.Contains($"Train job {job.Id} (dashboard-job)", html); // our job id and name, not a method name
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        Assert.True(withKey.IsSuccessStatusCode, $"with the key: {withKey.StatusCode}");
    }

    [Fact]
    public async Task A_queued_job_deleted_in_the_dashboard_is_cancelled_and_a_running_one_stops()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();
        var held = factory.Gate.HoldAtBatch(epoch: 1, batch: 1);
        var running = await PostAsync(client, null);
        await held.ReachedAsync();
        var queued = await PostAsync(client, null); // behind the running one on the node's one slot

        foreach (var job in new[] { queued, running })
        {
            string id = await BackgroundJobOfAsync(factory, job.Id);
            var deleted = await client.PostAsync($"/hangfire/jobs/{(job == queued ? "enqueued" : "processing")}/delete", new FormUrlEncodedContent([new("jobs[]", id)]));
            Assert.True(deleted.IsSuccessStatusCode, $"delete: {deleted.StatusCode}");
        }
        var queuedEnd = await client.WaitUntilFinishedAsync(queued.Id);
        held.Release();
        var runningEnd = await client.WaitUntilFinishedAsync(running.Id);

        Assert.Equal(JobStatus.Cancelled, queuedEnd.Status);
        Assert.Null(queuedEnd.StartedAt);
        Assert.Equal(JobStatus.Cancelled, runningEnd.Status);
        Assert.Null(runningEnd.ModelId);
        Assert.Equal(1, factory.Gate.PassedCount(running.Id, TrainingStep.Batch)); // it stopped before its second batch
    }

    private static async Task<JobView> PostAsync(HttpClient client, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new
            {
                name = "dashboard-job", model = new { family = "mlp", hiddenSizes = new[] { 16 }, latentDim = 2 }, epochs = 1, batchSize = 100,
                maxTrainImages = 300, maxTestImages = 100, evaluation = new { enabled = false },
            }),
        };
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<JobView>(response.Content, JobsClient.Json))!;
    }

    /// <summary>The Hangfire background job that runs a training job, as the scheduler keeps it.</summary>
    private static Task<string> BackgroundJobOfAsync(ServiceFactory factory, string jobId) => Task.Run(() =>
    {
        var storage = factory.Services.GetRequiredService<Hangfire.JobStorage>();
        using var connection = storage.GetConnection();
        return Vae.Api.Jobs.Hangfire.HangfireJobScheduler.BackgroundJobOf(connection, jobId)!.Value.Id;
    });
}
