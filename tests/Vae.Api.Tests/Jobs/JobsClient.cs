using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vae.Api.Jobs;
using Vae.Api.Storage;

namespace Vae.Api.Tests.Jobs;

/// <summary>Calls on /api/jobs shared by the job tests, and the tiny training settings they use.</summary>
internal static class JobsClient
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        AllowOutOfOrderMetadataProperties = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver { Modifiers = { Vae.Engine.Models.ModelRegistry.DescribeConfigs } },
    };

    /// <summary>A model small enough to train an epoch on 1000 images in a blink.</summary>
    public static object Tiny(int epochs, string? name = null)
        => new { model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs, batchSize = 100, name };

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string json, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        return client.SendAsync(request);
    }

    public static async Task<JobView> SubmitAsync(this HttpClient client, object request)
    {
        var response = await client.PostAsJsonAsync("/api/jobs", request, Json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JobView>(Json))!;
    }

    public static async Task<JobView> GetJobAsync(this HttpClient client, string id)
    {
        var response = await client.GetAsync($"/api/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JobView>(Json))!;
    }

    /// <summary>
    /// Polls the job until <paramref name="done"/> holds; fails with the last state seen after the timeout.
    /// Only for states that last once reached (an end, a recorded epoch): a passing state is caught with the training gate.
    /// </summary>
    public static async Task<JobView> WaitForAsync(this HttpClient client, string id, Func<JobView, bool> done, int timeoutSeconds = 300)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var job = await client.GetJobAsync(id);
            if (done(job)) return job;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Job {id} did not get there in {timeoutSeconds} s; last seen {job.Status} at epoch {job.CurrentEpoch}/{job.TotalEpochs}, error: {job.Error}");
            await Task.Delay(50);
        }
    }

    public static Task<JobView> WaitUntilFinishedAsync(this HttpClient client, string id, int timeoutSeconds = 300)
        => client.WaitForAsync(id, j => j.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled, timeoutSeconds);

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Cancels a job the test no longer needs, so it does not train on in the background.</summary>
    public static async Task CancelQuietlyAsync(this HttpClient client, string id, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/jobs/{id}");
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        using var _ = await client.SendAsync(request);
    }
}
