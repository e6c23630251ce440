using System.Net;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// What a client sees when it talks to a node other than the one doing the work: a job's live event
/// stream, and cancels and deletes of one job or model sent to two nodes at the same moment.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CrossNodeTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private readonly ClusterNodes _cluster = new(output);

    [SkippableFact]
    public async Task The_event_stream_of_a_job_read_from_the_node_that_does_not_train_it_has_its_batches_every_epoch_and_its_end()
    {
        const int epochs = 4;
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync());
        // About a second an epoch, so the stream opens before the first epoch ends.
        var job = await a.SubmitAsync(new { model = new { family = "mlp", hiddenSizes = new[] { 1024, 1024 }, latentDim = 2 }, epochs, batchSize = 10, maxTrainImages = 1000 });
        var running = await b.WaitForAsync(job.Id, j => j.Status == JobStatus.Running && j.Node is not null);
        var follower = running.Node == "node-a" ? b : a;

        var events = await SseReader.ReadAllAsync(follower, $"/api/jobs/{job.Id}/events", TimeSpan.FromSeconds(120));

        var epochNumbers = events.Where(e => e.Type == "epoch").Select(e => e.Data.GetProperty("epoch").GetInt32()).ToList();
        output.WriteLine($"trained on {running.Node}: {events.Count(e => e.Type == "batch")} batch events, epochs [{string.Join(", ", epochNumbers)}] in the other node's stream");
        Assert.Equal("status", events[0].Type);
        Assert.True(events.Count(e => e.Type == "batch") >= 2, "batches trained on the other node reach this node's stream");
        // Every epoch that ended after the stream opened is in it, once and in order, up to the last.
        Assert.NotEmpty(epochNumbers);
        Assert.True(epochNumbers[0] <= 2, $"the stream opened during the first epochs, yet its first epoch event is {epochNumbers[0]}");
        Assert.Equal(Enumerable.Range(epochNumbers[0], epochs - epochNumbers[0] + 1), epochNumbers);
        var last = events[^1];
        Assert.Equal("status", last.Type);
        Assert.Equal("succeeded", last.Data.GetProperty("status").GetString());
        Assert.Equal(epochs, last.Data.GetProperty("epochs").GetArrayLength());
    }

    [SkippableFact]
    public async Task A_running_job_cancelled_on_both_nodes_at_once_ends_cancelled_once_and_neither_node_answers_5xx()
    {
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync());
        var job = await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 200));
        await b.WaitForAsync(job.Id, j => j.Status == JobStatus.Running);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).DeleteAsync($"/api/jobs/{job.Id}")));
        var ended = await a.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 30);
        var codes = responses.Select(r => (int)r.StatusCode).ToList();

        output.WriteLine("cancel answers: " + string.Join(", ", codes));
        Assert.All(codes, c => Assert.True(c is 202 or 409, $"a cancel answered {c}"));
        Assert.Contains(202, codes);
        Assert.Equal(JobStatus.Cancelled, ended.Status);
        Assert.Equal(JobStatus.Cancelled, (await b.GetJobAsync(job.Id)).Status);
    }

    [SkippableFact]
    public async Task A_queued_job_cancelled_on_both_nodes_at_once_is_cancelled_by_exactly_one_of_them()
    {
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync());
        // Each node trains one job at a time: two long jobs keep both busy, so the third waits in the queue.
        var busy = new[] { await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 200)), await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 200)) };
        foreach (var j in busy) await a.WaitForAsync(j.Id, v => v.Status == JobStatus.Running);
        var queued = await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 1));

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).DeleteAsync($"/api/jobs/{queued.Id}")));
        var codes = responses.Select(r => (int)r.StatusCode).ToList();
        foreach (var j in busy) await a.CancelQuietlyAsync(j.Id);

        output.WriteLine("cancel answers: " + string.Join(", ", codes));
        Assert.Equal(1, codes.Count(c => c == 200));
        Assert.All(codes, c => Assert.True(c is 200 or 409, $"a cancel answered {c}"));
        Assert.Equal(JobStatus.Cancelled, (await b.GetJobAsync(queued.Id)).Status);
    }

    [SkippableFact]
    public async Task A_model_deleted_on_both_nodes_at_once_is_deleted_by_exactly_one_and_the_others_hear_404()
    {
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync());
        var job = await a.WaitUntilFinishedAsync((await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 1))).Id);
        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        // Both nodes have the model in memory when the deletes arrive.
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync($"/api/models/{job.ModelId}/samples.png?n=4")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync($"/api/models/{job.ModelId}/samples.png?n=4")).StatusCode);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).DeleteAsync($"/api/models/{job.ModelId}")));
        var codes = responses.Select(r => (int)r.StatusCode).ToList();

        output.WriteLine("delete answers: " + string.Join(", ", codes));
        Assert.Equal(1, codes.Count(c => c == 204));
        Assert.Equal(7, codes.Count(c => c == 404));
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/api/models/{job.ModelId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/models/{job.ModelId}")).StatusCode);
    }

    public void Dispose() => _cluster.Dispose();
}
