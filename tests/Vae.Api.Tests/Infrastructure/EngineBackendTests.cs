using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Infrastructure;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Vae.Engine.Backends;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Infrastructure;

/// <summary>
/// Engine:Backend, the device a node trains and serves on. The ilgpu-cpu node runs the GPU kernels on
/// ILGPU's CPU accelerator, which is slow and, on a machine whose cores are all busy, slower still
/// (its threads wait for each other at every kernel): these are device tests, not job-timing tests.
/// </summary>
public sealed class EngineBackendTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void An_engine_backend_that_cannot_run_here_stops_the_start_saying_why_and_what_can()
    {
        var unknown = JobSettingsTests.StartFails(new Dictionary<string, string?> { ["Engine:Backend"] = "tpu" });
        Assert.Contains("Engine:Backend 'tpu' cannot run here", unknown.Message);
        Assert.Contains("cpu, cpu-composed, ilgpu-cpu", unknown.Message);

        Skip.If(BackendRegistry.TryFind("cuda") is not null, "A CUDA device answers here, so cuda is a backend this node can use.");
        var cuda = JobSettingsTests.StartFails(new Dictionary<string, string?> { ["Engine:Backend"] = "cuda" });
        Assert.Contains("Engine:Backend 'cuda' cannot run here (", cuda.Message);
    }

    [Fact]
    public async Task A_node_on_ilgpu_cpu_trains_and_serves_on_that_device_and_its_health_names_it()
    {
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Engine:Backend"] = "ilgpu-cpu" });
        var client = factory.CreateClient();

        var health = await client.GetFromJsonAsync<HealthApi.HealthView>("/health", JobsClient.Json);
        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(new
        {
            model = new { family = "mlp", hiddenSizes = new[] { 16 }, latentDim = 2 }, epochs = 1, batchSize = 100, maxTrainImages = 200, maxTestImages = 100,
            evaluation = new { enabled = false },
        })).Id);
        var samples = await client.GetAsync($"/api/models/{job.ModelId}/samples.png?n=4&seed=1");

        Assert.Equal("ilgpu-cpu", health!.Backend);
        Assert.Equal("tiled", health.Gemm); // no cuBLAS on the CPU accelerator: our shared-memory kernel
        Assert.False(health.Gpu);
        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        Assert.Equal(HttpStatusCode.OK, samples.StatusCode);
        Assert.Equal("image/png", samples.Content.Headers.ContentType?.MediaType);
        var record = (await factory.Services.GetRequiredService<IVaeStore>().GetModelAsync(job.ModelId!, CancellationToken.None))!;
        Assert.Equal("ilgpu-cpu", factory.Services.GetRequiredService<ModelCache>().Get(record).Backend.Name);
    }

}
