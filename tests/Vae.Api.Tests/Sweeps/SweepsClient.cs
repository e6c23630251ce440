using System.Net;
using System.Net.Http.Json;
using Vae.Api.Sweeps;
using Vae.Api.Tests.Jobs;

namespace Vae.Api.Tests.Sweeps;

/// <summary>Calls on /api/sweeps shared by the sweep tests.</summary>
internal static class SweepsClient
{
    /// <summary>A tiny training request: an MLP VAE of one hidden layer on a few hundred images, one epoch.</summary>
    public static object TinyBase(int epochs = 1, int maxTrainImages = 300, long seed = 7)
        => new { model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs, batchSize = 100, maxTrainImages, maxTestImages = 100, seed };

    public static Task<HttpResponseMessage> PostSweepAsync(this HttpClient client, object sweep)
        => client.PostAsJsonAsync("/api/sweeps", sweep, JobsClient.Json);

    public static async Task<SweepView> StartSweepAsync(this HttpClient client, object sweep)
    {
        var response = await client.PostSweepAsync(sweep);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/sweeps answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var view = (await response.Content.ReadFromJsonAsync<SweepView>(JobsClient.Json))!;
        Assert.Equal($"/api/sweeps/{view.Id}", response.Headers.Location?.OriginalString);
        return view;
    }

    public static async Task<SweepView> GetSweepAsync(this HttpClient client, string id)
    {
        var response = await client.GetAsync($"/api/sweeps/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SweepView>(JobsClient.Json))!;
    }

    /// <summary>Polls the sweep until <paramref name="done"/> holds; fails with the last state seen after the timeout.</summary>
    public static async Task<SweepView> WaitForSweepAsync(this HttpClient client, string id, Func<SweepView, bool> done, int timeoutSeconds = 300)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var sweep = await client.GetSweepAsync(id);
            if (done(sweep)) return sweep;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Sweep {id} did not get there in {timeoutSeconds} s; last seen {sweep.Status}, {sweep.Counts}");
            await Task.Delay(100);
        }
    }

    public static bool IsFinished(this SweepView sweep)
        => sweep.Status is SweepStatus.Succeeded or SweepStatus.PartiallySucceeded or SweepStatus.Failed or SweepStatus.Cancelled;
}
