using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Infrastructure;
using Vae.Engine.Backends;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>
/// "device" in a training request: a gpu job trains only on a node whose backend is a GPU and waits
/// queued, saying why, everywhere else; a cpu job trains on the CPU backend even on a GPU node; the job
/// and model records name the backend that trained them. The GPU node is the CPU backend standing in
/// for one (<see cref="StandInGpuBackend"/>): what is tested is the choice, not the device.
/// </summary>
public sealed class JobDeviceTests(ITestOutputHelper output)
{
    // A node that cannot train a job tries it again this often; the tests wait for the tries, not the time.
    private static readonly Dictionary<string, string?> CpuNode = new() { ["Cluster:NodeId"] = "cpu-node", ["Cluster:JobPollSeconds"] = "1" };

    private static object Tiny(string? device) => new
    {
        model = new { family = "mlp", hiddenSizes = new[] { 16 }, latentDim = 2 }, epochs = 1, batchSize = 100, maxTrainImages = 200, maxTestImages = 100,
        evaluation = new { enabled = false }, device,
    };

    private static Action<IServiceCollection> OnGpu(StandInGpuBackend gpu) => services => services.AddSingleton(new EngineBackend(gpu));

    [Theory]
    [InlineData("\"tpu\"")]
    [InlineData("\"\"")]
    [InlineData("\"cuda\"")]
    public async Task A_device_other_than_gpu_or_cpu_is_refused_naming_the_field_and_the_accepted_values(string device)
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();

        var response = await client.PostJsonAsync($$"""{"epochs": 1, "device": {{device}}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.ProblemAsync();
        string message = problem.GetProperty("errors").GetProperty("device")[0].GetString()!;
        Assert.Contains("'gpu' or 'cpu'", message);
        Assert.Contains("left out", message);
        Assert.Empty(await factory.Services.GetRequiredService<IVaeStore>().ListJobsAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task A_device_of_the_wrong_type_is_refused_naming_the_field()
    {
        using var factory = new ServiceFactory(output);
        var response = await factory.CreateClient().PostJsonAsync("""{"epochs": 1, "device": 1}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync()).GetProperty("errors").TryGetProperty("device", out _));
    }

    [Fact]
    public async Task A_job_that_asks_for_a_gpu_on_a_node_without_one_waits_queued_and_says_why()
    {
        using var factory = new ServiceFactory(output, settings: CpuNode);
        var client = factory.CreateClient();

        var submitted = await client.SubmitAsync(Tiny(" GPU "));
        // A job queued after it, on the node's one slot, trains to its end: the node does not take the GPU job.
        var later = await client.WaitUntilFinishedAsync((await client.SubmitAsync(Tiny("cpu"))).Id);
        var job = await client.GetJobAsync(submitted.Id);

        Assert.Equal("gpu", submitted.Request.Device);
        Assert.Equal(JobStatus.Succeeded, later.Status);
        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Equal("asks for a GPU; it waits in the gpu queue, which no running node serves yet (they serve: cpu).", job.Waiting);
        Assert.Null(job.StartedAt);
        Assert.Null(job.Node);
        Assert.Null(job.Device);
        Assert.Empty(job.Attempts);
        Assert.Equal(0, factory.Gate.PassedCount(submitted.Id, TrainingStep.Started));
        Assert.True(await factory.Services.GetRequiredService<JobQueue>().IsScheduledAsync(submitted.Id, CancellationToken.None));
        await client.CancelQuietlyAsync(submitted.Id);
    }

    [Fact]
    public async Task A_job_waiting_for_a_gpu_can_be_cancelled_and_is_taken_off_the_scheduler()
    {
        using var factory = new ServiceFactory(output, settings: CpuNode);
        var client = factory.CreateClient();
        var submitted = await client.SubmitAsync(Tiny("gpu"));
        await client.WaitForAsync(submitted.Id, j => j.Waiting is not null);

        var response = await client.DeleteAsync($"/api/jobs/{submitted.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cancelled = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Null(cancelled.StartedAt);
        Assert.Equal(0, factory.Gate.PassedCount(submitted.Id, TrainingStep.Started));
        Assert.False(await factory.Services.GetRequiredService<JobQueue>().IsScheduledAsync(submitted.Id, CancellationToken.None));
        Assert.Equal(JobStatus.Cancelled, (await client.GetJobAsync(submitted.Id)).Status);
    }

    [Fact]
    public async Task A_node_whose_backend_is_a_gpu_trains_a_gpu_job_on_it_and_the_job_and_model_records_name_it()
    {
        var gpu = new StandInGpuBackend(BackendRegistry.Find("cpu"));
        using var factory = new ServiceFactory(output, services: OnGpu(gpu));
        var client = factory.CreateClient();

        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(Tiny("gpu"))).Id);
        var model = await client.GetFromJsonAsync<JsonElement>($"/api/models/{job.ModelId}");

        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        Assert.Equal("test-gpu", job.Device);
        Assert.Null(job.Waiting);
        Assert.Equal("test-gpu", model.GetProperty("device").GetString());
        Assert.True(gpu.Allocations > 0, "the model was never moved to the node's GPU");
    }

    [Fact]
    public async Task A_job_that_asks_for_the_cpu_trains_on_the_cpu_even_on_a_gpu_node_and_the_records_say_cpu()
    {
        var gpu = new StandInGpuBackend(BackendRegistry.Find("cpu"));
        using var factory = new ServiceFactory(output, services: OnGpu(gpu));
        var client = factory.CreateClient();

        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(Tiny("cpu"))).Id);
        var model = await client.GetFromJsonAsync<JsonElement>($"/api/models/{job.ModelId}");
        var stored = await factory.Services.GetRequiredService<IVaeStore>().GetModelAsync(job.ModelId!, CancellationToken.None);

        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        Assert.Equal("cpu", job.Device);
        Assert.Equal("cpu", model.GetProperty("device").GetString());
        Assert.Equal("cpu", stored!.Device);
        Assert.Equal(0, gpu.Allocations);
    }

    [Fact]
    public async Task A_job_that_asks_for_no_device_trains_on_the_nodes_backend_and_the_record_names_it()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();

        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(Tiny(null))).Id);

        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        Assert.Null(job.Request.Device);
        Assert.Equal(factory.Services.GetRequiredService<EngineBackend>().Name, job.Device);
    }

    [Fact]
    public async Task A_gpu_job_left_waiting_by_a_cpu_node_is_trained_by_a_gpu_node_on_the_same_state_and_the_waiting_reason_is_cleared()
    {
        var state = Directory.CreateTempSubdirectory("vae-api-device-").FullName;
        try
        {
            string id;
            using (var cpuNode = new ServiceFactory(output, stateDirectory: state, settings: CpuNode))
            {
                var client = cpuNode.CreateClient();
                id = (await client.SubmitAsync(Tiny("gpu"))).Id;
                await client.WaitForAsync(id, j => j.Waiting is not null);
            }

            var gpu = new StandInGpuBackend(BackendRegistry.Find("cpu"));
            using var gpuNode = new ServiceFactory(output, stateDirectory: state, settings: new Dictionary<string, string?> { ["Cluster:NodeId"] = "gpu-node" }, services: OnGpu(gpu));
            var job = await gpuNode.CreateClient().WaitUntilFinishedAsync(id);

            Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
            Assert.Equal("gpu-node", job.Node);
            Assert.Equal("test-gpu", job.Device);
            Assert.Null(job.Waiting);
        }
        finally
        {
            try { Directory.Delete(state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
