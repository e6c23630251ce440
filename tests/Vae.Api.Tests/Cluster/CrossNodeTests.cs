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
        const int epochs = 3;
        // Every batch is relayed, so what reaches the other node does not depend on how fast batches go.
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync(), settings: new Dictionary<string, string?> { ["Cluster:BatchRelaySeconds"] = "0" });
        var gate = _cluster.Gate;
        var start = gate.HoldAtStart();
        // Two batches of epoch 1 must reach the follower before the job goes past batch 3.
        var third = gate.HoldAtBatch(epoch: 1, batch: 3);
        var job = await a.SubmitAsync(ClusterNodes.TinyJob(epochs));
        var trainer = (await start.ReachedAsync()).NodeId;
        var follower = ClusterNodes.Other(trainer, a, b);

        var events = await SseReader.ReadAllAsync(follower, $"/api/jobs/{job.Id}/events", TimeSpan.FromMinutes(3), e =>
        {
            start.Release();
            if (e.Type == "batch" && e.Data.GetProperty("batch").GetInt32() == 2) third.Release();
            return Task.CompletedTask;
        });

        var epochNumbers = events.Where(e => e.Type == "epoch").Select(e => e.Data.GetProperty("epoch").GetInt32()).ToList();
        output.WriteLine($"trained on {trainer}: {events.Count(e => e.Type == "batch")} batch events, epochs [{string.Join(", ", epochNumbers)}] in the other node's stream");
        Assert.Equal("status", events[0].Type);
        Assert.True(third.IsReached);
        Assert.True(events.Count(e => e.Type == "batch") >= 2, "batches trained on the other node reach this node's stream");
        // The stream opened before the first batch: every epoch is in it, once and in order.
        Assert.Equal(Enumerable.Range(1, epochs), epochNumbers);
        var last = events[^1];
        Assert.Equal("status", last.Type);
        Assert.Equal("succeeded", last.Data.GetProperty("status").GetString());
        Assert.Equal(epochs, last.Data.GetProperty("epochs").GetArrayLength());
    }

    [SkippableFact]
    public async Task A_stream_dropped_on_the_node_that_trains_the_job_resumes_on_the_other_from_its_last_event_id_with_every_epoch_once()
    {
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync());
        var gate = _cluster.Gate;
        var start = gate.HoldAtStart();
        var job = await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 3));
        var trainer = (await start.ReachedAsync()).NodeId;
        var (training, other) = trainer == "node-a" ? (a, b) : (b, a);
        string url = $"/api/jobs/{job.Id}/events";
        // The client leaves after the first batch; epoch 1 ends while it is away, and the job waits in epoch 2 for it.
        var away = gate.HoldAtBatch(epoch: 2, batch: 3);

        var before = await SseReader.ReadAllAsync(training, url, TimeSpan.FromMinutes(3), _ => { start.Release(); return Task.CompletedTask; },
            until: e => e.Type == "batch");
        await away.ReachedAsync();
        var after = await SseReader.ReadAllAsync(other, url, TimeSpan.FromMinutes(3), _ => { away.Release(); return Task.CompletedTask; },
            lastEventId: before[^1].Id);

        output.WriteLine($"trained on {trainer}; before: " + string.Join(" ", before.Select(e => $"{e.Type}@{e.Id}")));
        output.WriteLine("after, on the other node: " + string.Join(" ", after.Select(e => $"{e.Type}@{e.Id}")));
        Assert.Equal(["status", "batch"], before.Select(e => e.Type));
        Assert.Equal("epoch", after[0].Type);
        Assert.Equal(1, after[0].Data.GetProperty("epoch").GetInt32());
        Assert.Equal([1, 2, 3], after.Where(e => e.Type == "epoch").Select(e => e.Data.GetProperty("epoch").GetInt32()));
        Assert.Equal("succeeded", after[^1].Data.GetProperty("status").GetString());
        SseReader.AssertIdsGrow(SseReader.Ids(before.Concat(after)));
    }

    [SkippableFact]
    public async Task A_running_job_cancelled_on_both_nodes_at_once_ends_cancelled_once_and_neither_node_answers_5xx()
    {
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync());
        var held = _cluster.Gate.HoldAtBatch(epoch: 1, batch: 2);
        var job = await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 2));
        await held.ReachedAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).DeleteAsync($"/api/jobs/{job.Id}")));
        held.Release();
        var codes = responses.Select(r => (int)r.StatusCode).ToList();

        output.WriteLine("cancel answers: " + string.Join(", ", codes));
        // The run may stop while the DELETEs still arrive (the cancel interrupts the held run): a DELETE
        // that finds the job ended deletes its record (204), once, and those after it find nothing.
        Assert.All(codes, c => Assert.True(c is 202 or 204 or 404, $"a cancel answered {c}"));
        Assert.Contains(202, codes);
        Assert.True(codes.Count(c => c == 204) <= 1, "the record is deleted once");
        if (codes.Contains(204))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/api/jobs/{job.Id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/jobs/{job.Id}")).StatusCode);
        }
        else
        {
            var ended = await a.WaitUntilFinishedAsync(job.Id);
            Assert.Equal(JobStatus.Cancelled, ended.Status);
            Assert.Empty(ended.Epochs);
            Assert.Equal(JobStatus.Cancelled, (await b.GetJobAsync(job.Id)).Status);
        }
        // Stopped where it was held either way (a record ends only once its run has stopped): batch 2 never trained.
        Assert.Equal(2, _cluster.Gate.PassedCount(job.Id, TrainingStep.Batch));
    }

    [SkippableFact]
    public async Task A_queued_job_cancelled_on_both_nodes_at_once_is_cancelled_by_exactly_one_of_them()
    {
        var (a, b, _, _) = await _cluster.TwoAsync(await server.CreateDatabaseAsync());
        // Each node trains one job at a time: two jobs held at their start keep both busy, so the third waits in the queue.
        var holds = new[] { _cluster.Gate.HoldAtStart(), _cluster.Gate.HoldAtStart() };
        var busy = new[] { await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 1)), await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 1)) };
        var nodes = new[] { (await holds[0].ReachedAsync()).NodeId, (await holds[1].ReachedAsync()).NodeId };
        Assert.Equal(["node-a", "node-b"], nodes.Order());
        var queued = await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 1));

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).DeleteAsync($"/api/jobs/{queued.Id}")));
        var codes = responses.Select(r => (int)r.StatusCode).ToList();
        foreach (var hold in holds) hold.Release();

        output.WriteLine("cancel answers: " + string.Join(", ", codes));
        // One DELETE cancels the queued job; one that finds it ended may delete its record (204), and those after that find nothing.
        Assert.Equal(1, codes.Count(c => c == 200));
        Assert.True(codes.Count(c => c == 204) <= 1, "the record is deleted once");
        Assert.All(codes, c => Assert.True(c is 200 or 204 or 404, $"a cancel answered {c}"));
        var after = await b.GetAsync($"/api/jobs/{queued.Id}");
        if (codes.Contains(204)) Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        else Assert.Equal(JobStatus.Cancelled, (await b.GetJobAsync(queued.Id)).Status);
        foreach (var j in busy) Assert.Equal(JobStatus.Succeeded, (await a.WaitUntilFinishedAsync(j.Id)).Status);
        Assert.Equal(0, _cluster.Gate.PassedCount(queued.Id));
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
