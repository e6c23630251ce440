using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// Two service nodes (two hosts, each with a state folder of its own) on one PostgreSQL database:
/// what one node is asked, the other knows; jobs spread over both; weights and checkpoints travel
/// through the database.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TwoNodeTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private readonly ClusterNodes _cluster = new(output);

    private ServiceFactory Node(string connectionString, string nodeId) => _cluster.Node(connectionString, nodeId);

    private async Task<(HttpClient A, HttpClient B, ServiceFactory NodeA, ServiceFactory NodeB)> TwoNodesAsync(double progressIntervalSeconds = 0.5, double checkinSeconds = 7.5)
        => await _cluster.TwoAsync(await server.CreateDatabaseAsync(), progressIntervalSeconds, checkinSeconds);

    private static object TinyJob(int epochs) => ClusterNodes.TinyJob(epochs);

    [SkippableFact]
    public async Task Each_node_names_itself_in_health_and_a_job_queued_on_one_is_shown_by_the_other()
    {
        var (a, b, _, _) = await TwoNodesAsync();

        var healthA = await ClusterNodes.WaitHealthyAsync(a, TimeSpan.FromSeconds(30));
        var healthB = await ClusterNodes.WaitHealthyAsync(b, TimeSpan.FromSeconds(30));
        var queued = await a.SubmitAsync(TinyJob(epochs: 1));
        var seenByB = await b.GetJobAsync(queued.Id);
        var listedByB = await b.GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json);
        var finished = await b.WaitUntilFinishedAsync(queued.Id);

        Assert.Equal("node-a", healthA!.Node);
        Assert.Equal("node-b", healthB!.Node);
        Assert.Equal(queued.Request.Model!.Family, seenByB.Family);
        Assert.Contains(listedByB!.Jobs, j => j.Id == queued.Id);
        Assert.True(finished.Status == JobStatus.Succeeded, $"status {finished.Status}, error {finished.Error}");
        Assert.Contains(finished.Node, new[] { "node-a", "node-b" });
    }

    [SkippableFact]
    public async Task A_model_trained_on_one_node_is_served_by_the_other_from_the_weights_in_the_database_with_their_length()
    {
        var (a, b, nodeA, nodeB) = await TwoNodesAsync();

        var job = await a.WaitUntilFinishedAsync((await a.SubmitAsync(TinyJob(epochs: 1))).Id);
        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        var (trainer, other) = job.Node == "node-a" ? (a, b) : (b, a);
        var samples = await other.GetAsync($"/api/models/{job.ModelId}/samples.png?n=4");
        // The header as sent, read before the body: a buffered body would make HttpClient compute a length of its own.
        using var downloadHere = await trainer.GetAsync($"/api/models/{job.ModelId}/weights", HttpCompletionOption.ResponseHeadersRead);
        using var downloadThere = await other.GetAsync($"/api/models/{job.ModelId}/weights", HttpCompletionOption.ResponseHeadersRead);
        long? lengthHere = downloadHere.Content.Headers.ContentLength;
        long? lengthThere = downloadThere.Content.Headers.ContentLength;
        var weightsHere = await downloadHere.Content.ReadAsByteArrayAsync();
        var weightsThere = await downloadThere.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, samples.StatusCode);
        Assert.Equal("image/png", samples.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await samples.Content.ReadAsByteArrayAsync())[..4]);
        Assert.Equal(weightsHere, weightsThere);
        Assert.True(weightsHere.Length > 1000);
        // Streamed from a row, the download still says its length up front.
        Assert.Equal(weightsHere.Length, lengthHere);
        Assert.Equal(weightsThere.Length, lengthThere);
        // Neither node kept the weights in its own folder: they came from the database.
        Assert.False(Directory.Exists(Path.Combine(nodeA.StateDirectory, "models")));
        Assert.False(Directory.Exists(Path.Combine(nodeB.StateDirectory, "models")));
    }

    [SkippableFact]
    public async Task Two_queued_jobs_train_at_once_one_on_each_node_and_a_cancel_sent_to_the_other_node_stops_each()
    {
        var (a, b, _, _) = await TwoNodesAsync();
        // Each node trains one job at a time: both holds are reached only if the two jobs run on different nodes at once.
        var holds = new[] { _cluster.Gate.HoldAtBatch(epoch: 1, batch: 2), _cluster.Gate.HoldAtBatch(epoch: 1, batch: 2) };

        var first = await a.SubmitAsync(TinyJob(epochs: 2));
        var second = await a.SubmitAsync(TinyJob(epochs: 2));
        var held = new[] { await holds[0].ReachedAsync(), await holds[1].ReachedAsync() };
        Assert.Equal(new[] { first.Id, second.Id }.Order(), held.Select(p => p.JobId).Order());
        Assert.Equal(["node-a", "node-b"], held.Select(p => p.NodeId).Order());

        // Each cancel goes to the node that is not training the job: it reaches the trainer through the cluster.
        foreach (var point in held)
            Assert.Equal(HttpStatusCode.Accepted, (await ClusterNodes.Other(point.NodeId, a, b).DeleteAsync($"/api/jobs/{point.JobId}")).StatusCode);
        // The holds stay: only the cancel, once it reaches the trainer, lets a held batch go (releasing them here would race it).
        var firstEnded = await a.WaitUntilFinishedAsync(first.Id);
        var secondEnded = await a.WaitUntilFinishedAsync(second.Id);

        Assert.Equal(JobStatus.Cancelled, firstEnded.Status);
        Assert.Equal(JobStatus.Cancelled, secondEnded.Status);
        Assert.Empty(firstEnded.Epochs);
        Assert.Empty(secondEnded.Epochs);
    }

    [SkippableFact]
    public async Task A_cancel_sent_to_another_node_stops_the_job_without_waiting_for_a_record_write()
    {
        // Progress is written to the record only once an hour (and after each epoch), and Quartz hands
        // interrupts between nodes once a minute. The job is held inside its first epoch and only a
        // stop of the run lets it go: only the event from the node that was asked can do that.
        var (a, b, _, _) = await TwoNodesAsync(progressIntervalSeconds: 3600, checkinSeconds: 60);
        var held = _cluster.Gate.HoldAtBatch(epoch: 1, batch: 2);

        var job = await a.SubmitAsync(TinyJob(epochs: 2));
        var point = await held.ReachedAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await ClusterNodes.Other(point.NodeId, a, b).DeleteAsync($"/api/jobs/{job.Id}")).StatusCode);
        var ended = await a.WaitUntilFinishedAsync(job.Id);

        Assert.Equal(JobStatus.Cancelled, ended.Status);
        Assert.Equal(0, ended.CurrentEpoch);
        Assert.Equal(2, _cluster.Gate.PassedCount(job.Id, TrainingStep.Batch)); // the held batch never ran
    }

    [SkippableFact]
    public async Task A_model_deleted_on_one_node_is_dropped_at_once_from_the_other_nodes_memory()
    {
        var (a, b, _, nodeB) = await TwoNodesAsync();
        var job = await a.WaitUntilFinishedAsync((await a.SubmitAsync(TinyJob(epochs: 1))).Id);
        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        var cacheB = nodeB.Services.GetRequiredService<ModelCache>();
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync($"/api/models/{job.ModelId}/samples.png?n=4")).StatusCode);
        Assert.Equal(1, cacheB.LoadedCount);

        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/api/models/{job.ModelId}")).StatusCode);
        // The notification is asynchronous: wait for its effect (a state that stays once reached), not for a set time.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (cacheB.LoadedCount > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);

        Assert.Equal(0, cacheB.LoadedCount);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/models/{job.ModelId}/samples.png?n=4")).StatusCode);
    }

    [SkippableFact]
    public async Task A_job_whose_node_stops_resumes_on_another_node_from_the_checkpoint_in_the_database()
    {
        const int epochs = 4;
        string database = await server.CreateDatabaseAsync();
        JobView before;
        using (var a = Node(database, "node-a"))
        {
            var client = a.CreateClient();
            // Node A stops while the job waits after its second epoch, checkpointed and recorded.
            var held = _cluster.Gate.Hold(p => p.Step == TrainingStep.EpochEnded && p.Epoch == 2, "the end of epoch 2");
            string id = (await client.SubmitAsync(TinyJob(epochs))).Id;
            await held.ReachedAsync();
            before = await client.GetJobAsync(id);
            Assert.Equal([1, 2], before.Epochs.Select(e => e.Epoch));
            Assert.True(await ClusterNodes.StoredCheckpointAsync(database, id) is not null, "the checkpoint should be in the database once an epoch is recorded");
        } // node A stops mid-training and hands the job back

        var resumed = _cluster.Gate.HoldAtStart(before.Id);
        var b = Node(database, "node-b").CreateClient();
        var start = await resumed.ReachedAsync();
        Assert.Equal(("node-b", 3), (start.NodeId, start.Epoch));
        resumed.Release();
        var after = await b.WaitUntilFinishedAsync(before.Id);

        Assert.True(after.Status == JobStatus.Succeeded, $"status {after.Status}, error {after.Error}");
        Assert.Equal("node-b", after.Node);
        Assert.Equal(Enumerable.Range(1, epochs), after.Epochs.Select(e => e.Epoch));
        // The epochs node A trained come back from its checkpoint as they were, timings included.
        for (int i = 0; i < before.Epochs.Count; i++) Assert.Equal(before.Epochs[i], after.Epochs[i]);
        Assert.False(await ClusterNodes.StoredCheckpointAsync(database, before.Id) is not null, "a finished job leaves no checkpoint behind");
    }

    public void Dispose() => _cluster.Dispose();
}
