using System.Net;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// Deleting an ended job and resuming a cancelled one with PostgreSQL, asked of the node that did
/// not train the job: the checkpoint a cancelled job keeps is the database's copy, which any node
/// resumes from, and deleting the record removes it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterJobDeleteAndResumeTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private readonly ClusterNodes _cluster = new(output);

    public void Dispose() => _cluster.Dispose();

    [SkippableFact]
    public async Task A_job_cancelled_on_one_node_and_resumed_on_the_other_trains_every_epoch_once_from_the_stored_checkpoint()
    {
        string database = await server.CreateDatabaseAsync();
        var (a, b, _, _) = await _cluster.TwoAsync(database);
        var gate = _cluster.Gate;
        var held = gate.HoldAtBatch(epoch: 2, batch: 3);
        var job = await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 3));
        var trainer = (await held.ReachedAsync()).NodeId;
        var other = ClusterNodes.Other(trainer, a, b);

        // Not released: only the cancel, reaching the training node through the cluster, lets the held run go.
        Assert.Equal(HttpStatusCode.Accepted, (await other.DeleteAsync($"/api/jobs/{job.Id}")).StatusCode);
        var cancelled = await other.WaitUntilFinishedAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Equal([1], cancelled.Epochs.Select(e => e.Epoch));
        Assert.NotNull(await ClusterNodes.StoredCheckpointAsync(database, job.Id));
        var firstRun = gate.Passed.Where(p => p.JobId == job.Id).ToList();
        var restart = gate.HoldAtStart(job.Id);

        Assert.Equal(HttpStatusCode.Accepted, (await other.PostAsync($"/api/jobs/{job.Id}/resume", null)).StatusCode);

        var resumedAt = await restart.ReachedAsync();
        output.WriteLine($"trained first on {trainer}, resumed on {resumedAt.NodeId}");
        Assert.Equal(2, resumedAt.Epoch);
        restart.Release();
        var done = await a.WaitUntilFinishedAsync(job.Id);
        Assert.True(done.Status == JobStatus.Succeeded, $"status {done.Status}, error {done.Error}");
        Assert.Equal([1, 2, 3], done.Epochs.Select(e => e.Epoch));
        var secondRun = gate.Passed.Where(p => p.JobId == job.Id).Skip(firstRun.Count).ToList();
        Assert.DoesNotContain(secondRun, p => p.Step == TrainingStep.Batch && p.Epoch == 1);
        Assert.Equal([2, 3], secondRun.Where(p => p.Step == TrainingStep.EpochEnded).Select(p => p.Epoch));
        Assert.Null(await ClusterNodes.StoredCheckpointAsync(database, job.Id));
    }

    [SkippableFact]
    public async Task Deleting_ended_jobs_on_either_node_removes_their_records_and_stored_checkpoints_and_keeps_their_models()
    {
        string database = await server.CreateDatabaseAsync();
        var (a, b, _, _) = await _cluster.TwoAsync(database);
        var succeeded = await a.WaitUntilFinishedAsync((await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 1))).Id);
        Assert.True(succeeded.Status == JobStatus.Succeeded, $"status {succeeded.Status}, error {succeeded.Error}");
        var held = _cluster.Gate.HoldAtBatch(epoch: 2, batch: 1);
        var cancelled = await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 2));
        await held.ReachedAsync();
        // Not released: the cancel ends the held run, wherever it trains.
        Assert.Equal(HttpStatusCode.Accepted, (await b.DeleteAsync($"/api/jobs/{cancelled.Id}")).StatusCode);
        Assert.Equal(JobStatus.Cancelled, (await b.WaitUntilFinishedAsync(cancelled.Id)).Status);
        Assert.NotNull(await ClusterNodes.StoredCheckpointAsync(database, cancelled.Id));

        Assert.Equal(HttpStatusCode.NoContent, (await b.DeleteAsync($"/api/jobs/{succeeded.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/api/jobs/{cancelled.Id}")).StatusCode);

        foreach (var node in new[] { a, b })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await node.GetAsync($"/api/jobs/{succeeded.Id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await node.GetAsync($"/api/jobs/{cancelled.Id}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await node.GetAsync($"/api/models/{succeeded.ModelId}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await node.GetAsync($"/api/models/{succeeded.ModelId}/samples.png?n=4")).StatusCode);
        }
        Assert.Null(await ClusterNodes.StoredCheckpointAsync(database, cancelled.Id));
    }
}
