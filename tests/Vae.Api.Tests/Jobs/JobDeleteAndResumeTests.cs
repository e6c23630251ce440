using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>
/// DELETE /api/jobs/{id} on a job that has ended removes its record (never its model), and a
/// cancelled job resumes from the checkpoint of its last finished epoch (the embedded store; the
/// cluster's are in Cluster/ClusterJobDeleteAndResumeTests).
/// </summary>
public sealed class JobDeleteAndResumeTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceFactory _factory = new(output);

    public void Dispose() => _factory.Dispose();

    private string CheckpointFolder(string jobId) => Path.Combine(_factory.StateDirectory, "checkpoints", jobId);

    [Fact]
    public async Task Deleting_a_job_that_has_succeeded_removes_its_record_and_keeps_its_model()
    {
        var client = _factory.CreateClient();
        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(JobsClient.Tiny(epochs: 1, name: "kept"))).Id);
        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");

        var deleted = await client.DeleteAsync($"/api/jobs/{job.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/jobs/{job.Id}")).StatusCode);
        Assert.DoesNotContain((await client.GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json))!.Jobs, j => j.Id == job.Id);
        // The model and its weights stay, and still draw.
        var model = await client.GetFromJsonAsync<JsonElement>($"/api/models/{job.ModelId}");
        Assert.Equal(job.Id, model.GetProperty("jobId").GetString());
        Assert.True(File.Exists(Path.Combine(_factory.StateDirectory, "models", job.ModelId + ".safetensors")));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/models/{job.ModelId}/samples.png?n=4")).StatusCode);
        // A second delete finds nothing.
        var again = await client.DeleteAsync($"/api/jobs/{job.Id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains(job.Id, (await again.ProblemAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_cancelled_job_keeps_its_checkpoint_until_its_record_is_deleted()
    {
        var client = _factory.CreateClient();
        var held = _factory.Gate.HoldAtBatch(epoch: 2, batch: 1);
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 3));
        await held.ReachedAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync($"/api/jobs/{job.Id}")).StatusCode);
        held.Release();
        var cancelled = await client.WaitUntilFinishedAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.True(Directory.EnumerateFiles(CheckpointFolder(job.Id)).Any(), "a cancelled job keeps its checkpoint for a resume");

        var deleted = await client.DeleteAsync($"/api/jobs/{job.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(Directory.Exists(CheckpointFolder(job.Id)), "the checkpoint goes with the record");
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/jobs/{job.Id}/resume", null)).StatusCode);
    }

    [Fact]
    public async Task A_cancelled_job_resumed_continues_from_its_checkpoint_and_trains_every_epoch_once()
    {
        var client = _factory.CreateClient();
        // Cancelled as it is about to train batch 3 of epoch 2: epoch 1 is done and checkpointed.
        var held = _factory.Gate.HoldAtBatch(epoch: 2, batch: 3);
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 3));
        await held.ReachedAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync($"/api/jobs/{job.Id}")).StatusCode);
        held.Release();
        var cancelled = await client.WaitUntilFinishedAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Equal([1], cancelled.Epochs.Select(e => e.Epoch));
        var firstRun = _factory.Gate.Passed.Where(p => p.JobId == job.Id).ToList();
        var restart = _factory.Gate.HoldAtStart(job.Id);

        var resumed = await client.PostAsync($"/api/jobs/{job.Id}/resume", null);

        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        var queued = (await resumed.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        Assert.Contains(queued.Status, new[] { JobStatus.Queued, JobStatus.Running });
        Assert.False(queued.CancelRequested);
        Assert.Null(queued.FinishedAt);
        // The second run starts at epoch 2: the recorded epoch is not trained again.
        Assert.Equal(2, (await restart.ReachedAsync()).Epoch);
        restart.Release();
        var done = await client.WaitUntilFinishedAsync(job.Id);
        Assert.True(done.Status == JobStatus.Succeeded, $"status {done.Status}, error {done.Error}");
        Assert.NotNull(done.ModelId);
        Assert.Equal([1, 2, 3], done.Epochs.Select(e => e.Epoch));
        Assert.Equal(2, done.Attempts.Count);
        // Ten batches an epoch: epoch 1 trained once (first run), epochs 2 and 3 whole in the second run.
        var secondRun = _factory.Gate.Passed.Where(p => p.JobId == job.Id).Skip(firstRun.Count).ToList();
        Assert.Equal(Enumerable.Range(1, 10), firstRun.Where(p => p.Step == TrainingStep.Batch && p.Epoch == 1).Select(p => p.Batch));
        Assert.DoesNotContain(secondRun, p => p.Step == TrainingStep.Batch && p.Epoch == 1);
        Assert.Equal(20, secondRun.Count(p => p.Step == TrainingStep.Batch));
        Assert.Equal([2, 3], secondRun.Where(p => p.Step == TrainingStep.EpochEnded).Select(p => p.Epoch));
        Assert.False(Directory.Exists(CheckpointFolder(job.Id)), "a job that succeeded leaves no checkpoint");
    }

    [Fact]
    public async Task Only_a_failed_or_cancelled_job_can_be_resumed()
    {
        var client = _factory.CreateClient();
        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(JobsClient.Tiny(epochs: 1))).Id);

        var response = await client.PostAsync($"/api/jobs/{job.Id}/resume", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        string detail = (await response.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("succeeded", detail);
        Assert.Contains(job.ModelId!, detail);
    }
}
