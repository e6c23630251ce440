using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>Jobs training for real on 1000 images: finishing, being cancelled, being followed live.</summary>
public sealed class JobLifecycleTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceFactory _factory = new(output);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_job_goes_from_queued_to_succeeded_with_a_model_and_metrics_for_every_epoch()
    {
        var client = _factory.CreateClient();
        var queued = await client.SubmitAsync(JobsClient.Tiny(epochs: 2, name: "tiny"));
        Assert.Contains(queued.Status, new[] { JobStatus.Queued, JobStatus.Running });

        var job = await client.WaitUntilFinishedAsync(queued.Id);

        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        Assert.NotNull(job.ModelId);
        Assert.Equal("tiny", job.Name);
        Assert.Equal(2, job.CurrentEpoch);
        Assert.Equal([1, 2], job.Epochs.Select(e => e.Epoch));
        foreach (var epoch in job.Epochs)
        {
            Assert.True(epoch.Train.Loss > 0 && epoch.Test.Loss > 0, $"epoch {epoch.Epoch}: {epoch}");
            Assert.True(epoch.Train.Reconstruction > 0 && epoch.Train.Kl >= 0);
            Assert.True(epoch.Seconds > 0);
        }
        Assert.NotNull(job.StartedAt);
        Assert.NotNull(job.FinishedAt);
        Assert.True(job.DurationSeconds > 0);
        Assert.Null(job.Error);
        Assert.False(Directory.Exists(Path.Combine(_factory.StateDirectory, "checkpoints", job.Id)), "the checkpoint folder should be gone");
        Assert.True(File.Exists(Path.Combine(_factory.StateDirectory, "models", job.ModelId + ".safetensors")));

        var list = (await client.GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json))!.Jobs;
        Assert.Contains(list!, j => j.Id == job.Id && j.Status == JobStatus.Succeeded);
    }

    [Fact]
    public async Task Jobs_are_listed_newest_first_and_the_limit_is_honoured()
    {
        var client = _factory.CreateClient();
        var first = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));
        var second = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));

        var list = (await client.GetFromJsonAsync<JobList>("/api/jobs?limit=2", JobsClient.Json))!.Jobs;

        Assert.Equal([second.Id, first.Id], list.Select(j => j.Id));
        var one = (await client.GetFromJsonAsync<JobList>("/api/jobs?limit=1", JobsClient.Json))!.Jobs;
        Assert.Equal(second.Id, Assert.Single(one).Id);
        await client.WaitUntilFinishedAsync(first.Id);
        await client.WaitUntilFinishedAsync(second.Id);
    }

    [Fact]
    public async Task Jobs_submitted_all_at_once_are_all_accepted_and_all_run()
    {
        var client = _factory.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.PostAsJsonAsync("/api/jobs", JobsClient.Tiny(epochs: 1), JobsClient.Json)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        foreach (var response in responses)
        {
            var job = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
            Assert.Equal(JobStatus.Succeeded, (await client.WaitUntilFinishedAsync(job.Id)).Status);
        }
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_it_before_its_next_batch_and_keeps_its_last_checkpoint()
    {
        var client = _factory.CreateClient();
        var held = _factory.Gate.HoldAtBatch(epoch: 2, batch: 3);
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 3));
        await held.ReachedAsync();

        var response = await client.DeleteAsync($"/api/jobs/{job.Id}");
        held.Release();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!.CancelRequested);
        var ended = await client.WaitUntilFinishedAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, ended.Status);
        Assert.Equal([1], ended.Epochs.Select(e => e.Epoch));
        Assert.Null(ended.ModelId);
        // Stopped where it was held: batch 3 of epoch 2 never ran, nor anything after it.
        Assert.Equal(10 + 3, _factory.Gate.PassedCount(job.Id, TrainingStep.Batch));
        // Epoch 1's checkpoint stays, for POST /api/jobs/{id}/resume (see JobDeleteAndResumeTests).
        Assert.True(Directory.Exists(Path.Combine(_factory.StateDirectory, "checkpoints", job.Id)), "the checkpoint folder should stay");
    }

    [Theory]
    [InlineData(TrainingStep.Evaluating)]
    [InlineData(TrainingStep.Publishing)]
    public async Task A_cancel_after_the_last_epoch_ends_the_job_cancelled_without_a_model(TrainingStep step)
    {
        var client = _factory.CreateClient();
        var held = _factory.Gate.Hold(p => p.Step == step, step.ToString());
        var job = await client.SubmitAsync(new
        {
            model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs = 2, batchSize = 100,
            evaluation = new { enabled = true, images = 50, importanceSamples = 2 },
        });
        Assert.Equal(2, (await held.ReachedAsync()).Epoch);

        var response = await client.DeleteAsync($"/api/jobs/{job.Id}");
        held.Release();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ended = await client.WaitUntilFinishedAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, ended.Status);
        Assert.Equal([1, 2], ended.Epochs.Select(e => e.Epoch));
        Assert.Null(ended.ModelId);
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>("/api/models")).GetProperty("models").EnumerateArray());
        if (step == TrainingStep.Evaluating) Assert.Equal(0, _factory.Gate.PassedCount(job.Id, TrainingStep.Publishing)); // it never got past the evaluation
    }

    [Fact]
    public async Task Cancelling_a_queued_job_ends_it_at_once()
    {
        var client = _factory.CreateClient();
        // One job trains at a time: while the first is held at its start, the second waits in the queue.
        var held = _factory.Gate.HoldAtStart();
        var running = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));
        await held.ReachedAsync();
        var queued = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));

        var response = await client.DeleteAsync($"/api/jobs/{queued.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cancelled = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.Null(cancelled.StartedAt);

        held.Release();
        Assert.Equal(JobStatus.Succeeded, (await client.WaitUntilFinishedAsync(running.Id)).Status);
        Assert.Equal(JobStatus.Cancelled, (await client.GetJobAsync(queued.Id)).Status);
        Assert.Null((await client.GetJobAsync(queued.Id)).StartedAt);
        Assert.Equal(0, _factory.Gate.PassedCount(queued.Id));
    }

    [Fact]
    public async Task The_event_stream_sends_the_status_every_epoch_and_the_end_then_closes()
    {
        var client = _factory.CreateClient();
        // Held before its first batch until the stream is open, so the stream sees the whole run.
        var held = _factory.Gate.HoldAtStart();
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 3));
        await held.ReachedAsync();

        var events = await SseReader.ReadAllAsync(client, $"/api/jobs/{job.Id}/events", TimeSpan.FromMinutes(3), _ =>
        {
            held.Release();
            return Task.CompletedTask;
        });

        Assert.Equal("status", events[0].Type);
        Assert.Equal(job.Id, events[0].Data.GetProperty("id").GetString());
        Assert.Equal("running", events[0].Data.GetProperty("status").GetString());
        Assert.Equal([1, 2, 3], events.Where(e => e.Type == "epoch").Select(e => e.Data.GetProperty("epoch").GetInt32()));
        Assert.All(events.Where(e => e.Type == "epoch"), e => Assert.Equal(3, e.Data.GetProperty("totalEpochs").GetInt32()));
        var last = events[^1];
        Assert.Equal("status", last.Type);
        Assert.Equal("succeeded", last.Data.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(last.Data.GetProperty("modelId").GetString()));
        // Every event has an id, and they grow; the first says how long a client waits before it reconnects.
        SseReader.AssertIdsGrow(SseReader.Ids(events));
        Assert.Equal(TimeSpan.FromSeconds(3), events[0].Retry);
        // Batches come at most 4 a second, the newest each time: however many, they are in training order, one per place.
        var batches = events.Where(e => e.Type == "batch").Select(e => e.Data).ToList();
        Assert.InRange(batches.Count, 1, 30);
        Assert.All(batches, b => Assert.Equal(10, b.GetProperty("batchCount").GetInt32()));
        Assert.All(batches, b => Assert.True(b.GetProperty("losses").GetProperty("loss").GetDouble() > 0));
        var places = batches.Select(b => (b.GetProperty("epoch").GetInt32(), b.GetProperty("batch").GetInt32())).ToList();
        Assert.Equal(places.Order(), places);
        Assert.Equal(places.Count, places.Distinct().Count());
    }

    [Fact]
    public async Task A_client_following_a_finished_job_gets_its_final_status_and_the_stream_closes()
    {
        var client = _factory.CreateClient();
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));
        await client.WaitUntilFinishedAsync(job.Id);

        var events = await SseReader.ReadAllAsync(client, $"/api/jobs/{job.Id}/events", TimeSpan.FromSeconds(10));

        var only = Assert.Single(events);
        Assert.Equal("status", only.Type);
        Assert.Equal("succeeded", only.Data.GetProperty("status").GetString());
        Assert.Equal(1, only.Data.GetProperty("epochs").GetArrayLength());
        // Asked again with that event's id (as EventSource reconnects after a stream ends): 204, which stops EventSource.
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{job.Id}/events");
        again.Headers.Add("Last-Event-ID", only.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(again)).StatusCode);
    }
}
