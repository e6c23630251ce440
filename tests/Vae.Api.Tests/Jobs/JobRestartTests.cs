using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Models.Mlp;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>Stopping and starting the host on the same state folder.</summary>
public sealed class JobRestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("vae-jobs-restart-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task A_job_interrupted_by_a_restart_resumes_from_its_checkpoint_and_keeps_its_earlier_epochs()
    {
        const int epochs = 4;
        JobView before;
        string id;
        using (var first = new ServiceFactory(output, _state))
        {
            var client = first.CreateClient();
            // Held once epoch 2 is checkpointed and recorded; the host stops while the job waits there.
            var held = first.Gate.Hold(p => p.Step == TrainingStep.EpochEnded && p.Epoch == 2, "the end of epoch 2");
            id = (await client.SubmitAsync(JobsClient.Tiny(epochs))).Id;
            await held.ReachedAsync();
            before = await client.GetJobAsync(id);
            Assert.Equal(JobStatus.Running, before.Status);
            Assert.Equal([1, 2], before.Epochs.Select(e => e.Epoch));
            Assert.True(File.Exists(Path.Combine(_state, "checkpoints", id, "checkpoint.safetensors")));
        } // the host stops here, mid-training

        using var second = new ServiceFactory(output, _state);
        var resumed = second.Gate.HoldAtStart(id);
        var client2 = second.CreateClient();
        Assert.Equal(3, (await resumed.ReachedAsync()).Epoch); // the next epoch to train is the third
        var stopped = await client2.GetJobAsync(id);
        Assert.Equal([1, 2], stopped.Epochs.Select(e => e.Epoch));
        resumed.Release();

        var after = await client2.WaitUntilFinishedAsync(id);

        Assert.True(after.Status == JobStatus.Succeeded, $"status {after.Status}, error {after.Error}");
        Assert.NotNull(after.ModelId);
        Assert.Equal(Enumerable.Range(1, epochs), after.Epochs.Select(e => e.Epoch));
        // Epochs trained before the restart come back from the checkpoint as they were, timings included:
        // a run started over would have measured new ones.
        for (int i = 0; i < before.Epochs.Count; i++) Assert.Equal(before.Epochs[i], after.Epochs[i]);
        Assert.Equal(before.StartedAt, after.StartedAt);
        // Only epochs 3 and 4 were trained again after the restart.
        Assert.Equal(2 * 10, second.Gate.PassedCount(id, TrainingStep.Batch));
        Assert.False(Directory.Exists(Path.Combine(_state, "checkpoints", id)));
    }

    [Fact]
    public async Task A_job_stored_but_never_scheduled_runs_on_the_next_start()
    {
        var queued = new JobRecord
        {
            Id = "jstoredonly01", Status = JobStatus.Queued, CreatedAt = DateTimeOffset.UtcNow,
            Request = new TrainingRequest { Model = new MlpConfig { HiddenSizes = [32], LatentDim = 2 }, Epochs = 1, BatchSize = 100 },
        };
        var cancelling = queued with { Id = "jstoredonly02", Status = JobStatus.Running, CancelRequested = true, StartedAt = DateTimeOffset.UtcNow };
        using (var first = new ServiceFactory(output, _state))
        {
            // As if the service had stopped between storing these jobs and scheduling them.
            var store = first.Services.GetRequiredService<IVaeStore>();
            await store.InsertJobAsync(queued, CancellationToken.None);
            await store.InsertJobAsync(cancelling, CancellationToken.None);
        }

        using var second = new ServiceFactory(output, _state);
        var client = second.CreateClient();
        var ran = await client.WaitUntilFinishedAsync(queued.Id);
        var ended = await client.GetJobAsync(cancelling.Id);

        Assert.True(ran.Status == JobStatus.Succeeded, $"status {ran.Status}, error {ran.Error}");
        Assert.Equal(JobStatus.Cancelled, ended.Status);
    }

    [Fact]
    public async Task The_default_job_is_queued_on_a_first_start_only()
    {
        var settings = new Dictionary<string, string?> { ["Jobs:SeedDefaultJob"] = "true", ["Jobs:DefaultJobEpochs"] = "1" };
        string id;
        using (var first = new ServiceFactory(output, _state, settings))
        {
            var jobs = (await first.CreateClient().GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json))!.Jobs;
            var seeded = Assert.Single(jobs);
            Assert.Equal(DefaultJobSeeder.DefaultName, seeded.Name);
            Assert.Equal(1, seeded.TotalEpochs);
            Assert.Equal("mnist", seeded.Dataset);
            id = seeded.Id;
            await first.CreateClient().WaitUntilFinishedAsync(id);
        }

        using var second = new ServiceFactory(output, _state, settings);
        var again = (await second.CreateClient().GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json))!.Jobs;
        Assert.Equal(id, Assert.Single(again).Id);
    }

    [Fact]
    public async Task Nothing_is_seeded_when_seeding_is_off()
    {
        using var factory = new ServiceFactory(output, _state, new Dictionary<string, string?> { ["Jobs:SeedDefaultJob"] = "false" });

        var jobs = (await factory.CreateClient().GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json))!.Jobs;

        Assert.Empty(jobs);
    }
}
