using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// PostgreSQL stops for ten seconds under two nodes while requests arrive and a job trains: what
/// the nodes already hold keeps being served, the rest is refused with a 503 that says when to
/// retry, and once the database is back everything recovers by itself with nothing lost.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DatabaseOutageTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    private readonly ClusterNodes _cluster = new(output);

    [SkippableFact]
    public async Task While_the_database_is_stopped_cached_models_are_served_the_rest_is_503_and_afterwards_the_nodes_and_the_training_job_carry_on()
    {
        await using var database = await PausablePostgres.StartAsync();
        var (a, b, _, _) = await _cluster.TwoAsync(database.ConnectionString, checkinSeconds: 2);
        var model = await a.WaitUntilFinishedAsync((await a.SubmitAsync(ClusterNodes.TinyJob(epochs: 1))).Id);
        Assert.True(model.Status == JobStatus.Succeeded, $"status {model.Status}, error {model.Error}");
        string samples = $"/api/models/{model.ModelId}/samples.png?n=4";
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync(samples)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync(samples)).StatusCode);
        // Held inside its second epoch until the database has stopped, then let go into the outage:
        // it cannot end before the database is back, since its model has to be stored there.
        const int epochs = 3;
        var held = _cluster.Gate.HoldAtBatch(epoch: 2, batch: 1);
        var job = await a.SubmitAsync(ClusterNodes.TinyJob(epochs));
        await held.ReachedAsync();

        await database.HaltAsync();
        held.Release();
        var outage = Stopwatch.StartNew();
        int served = 0, refused = 0;
        string? healthDetail = null;
        while (outage.Elapsed < Outage)
        {
            foreach (var node in new[] { a, b })
            {
                var image = await node.GetAsync(samples);
                Assert.True(image.StatusCode == HttpStatusCode.OK, $"a cached model during the outage: {(int)image.StatusCode} {await image.Content.ReadAsStringAsync()}");
                served++;

                var jobs = await node.GetAsync("/api/jobs");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, jobs.StatusCode);
                Assert.True(jobs.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 503 says when to retry");
                var problem = await jobs.ProblemAsync();
                Assert.Contains("database", problem.GetProperty("detail").GetString());
                refused++;

                var health = await node.GetAsync("/health");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
                Assert.True(health.Headers.RetryAfter?.Delta > TimeSpan.Zero);
                healthDetail = (await health.ProblemAsync()).GetProperty("detail").GetString();
                Assert.Contains("does not answer", healthDetail);
            }
            await Task.Delay(250);
        }
        await database.ResumeAsync();
        output.WriteLine($"during {Outage.TotalSeconds:F0} s without the database: {served} cached-model requests served, {refused} database requests refused with 503; health said: {healthDetail}");

        var back = Stopwatch.StartNew();
        foreach (var node in new[] { a, b }) await ClusterNodes.WaitHealthyAsync(node, TimeSpan.FromSeconds(60));
        output.WriteLine($"both nodes healthy {back.Elapsed.TotalSeconds:F1} s after the database came back");
        var ended = await a.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 300);
        Assert.True(ended.Status == JobStatus.Succeeded, $"status {ended.Status}, error {ended.Error}");
        Assert.Equal(Enumerable.Range(1, epochs), ended.Epochs.Select(e => e.Epoch));
        Assert.Equal(JobStatus.Succeeded, (await b.GetJobAsync(job.Id)).Status);
        // The nodes hear each other again: a model deleted on one stops being served by the other.
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/api/models/{model.ModelId}")).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await b.GetAsync(samples)).StatusCode != HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, "node B still serves a model deleted on node A after the outage");
            await Task.Delay(100);
        }
    }

    [SkippableFact]
    public async Task A_job_whose_database_stays_away_past_the_outage_wait_is_tried_again_and_finishes_from_its_checkpoint()
    {
        await using var database = await PausablePostgres.StartAsync();
        var (a, _, nodeA, nodeB) = await _cluster.TwoAsync(database.ConnectionString, checkinSeconds: 2,
            settings: new Dictionary<string, string?> { ["Storage:OutageWaitSeconds"] = "1", ["Jobs:RetryDelaySeconds"] = "0" });
        const int epochs = 2;
        // Held as it is about to store its model, the one step it cannot finish without the database.
        var held = _cluster.Gate.Hold(p => p.Step == TrainingStep.Publishing, "the publishing of the model");
        var job = await a.SubmitAsync(ClusterNodes.TinyJob(epochs));
        var point = await held.ReachedAsync();
        var trainer = point.NodeId == "node-a" ? nodeA : nodeB;

        await database.HaltAsync();
        held.Release();
        // The first attempt gives up once the outage outlasts Storage:OutageWaitSeconds.
        await trainer.Log.WaitUntilAsync(lines => lines.Any(l => l.Contains($"Job {job.Id}: attempt 1 of 3 failed")), "the first attempt to fail");
        await database.ResumeAsync();
        var ended = await a.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 300);

        Assert.True(ended.Status == JobStatus.Succeeded, $"status {ended.Status}, error {ended.Error}");
        Assert.Equal(Enumerable.Range(1, epochs), ended.Epochs.Select(e => e.Epoch)); // resumed from the checkpoint, not trained again
        Assert.True(ended.Attempts.Count >= 2, $"attempts: {ended.Attempts.Count}");
        Assert.NotNull(ended.Attempts[0].Error);
        Assert.Null(ended.Attempts[^1].Error);
    }

    [SkippableFact]
    public async Task A_node_started_while_the_database_is_down_waits_for_it_and_starts_once_it_is_up()
    {
        await using var database = await PausablePostgres.StartAsync();
        await database.HaltAsync();
        var node = _cluster.Node(database.ConnectionString, "node-a");

        var starting = Task.Run(node.CreateClient);
        // The node says each time it finds the database away; after the second time it is still starting.
        await node.Log.WaitUntilAsync(lines => lines.Count(l => l.Contains("unreachable while this node starts", StringComparison.Ordinal)) >= 2,
            "two failed attempts to reach the database at start");
        Assert.False(starting.IsCompleted, "the node should still be waiting for the database");
        await database.ResumeAsync();
        var client = await starting.WaitAsync(TimeSpan.FromMinutes(3));

        await ClusterNodes.WaitHealthyAsync(client, TimeSpan.FromSeconds(30));
        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(ClusterNodes.TinyJob(epochs: 1))).Id);
        Assert.Equal(JobStatus.Succeeded, job.Status);
    }

    [SkippableFact]
    public async Task A_node_whose_database_stays_away_longer_than_it_waits_fails_to_start_naming_the_database_and_the_setting()
    {
        await using var database = await PausablePostgres.StartAsync();
        await database.HaltAsync();
        var node = _cluster.Node(database.ConnectionString, "node-a", settings: new Dictionary<string, string?> { ["Storage:StartupWaitSeconds"] = "2" });

        var e = await Assert.ThrowsAnyAsync<Exception>(() => Task.Run(node.CreateClient));

        var message = e is AggregateException a ? a.Flatten().InnerExceptions[0].Message : e.Message;
        output.WriteLine(message);
        Assert.Contains("PostgreSQL database 'vae' on 127.0.0.1", message);
        Assert.Contains("Storage:StartupWaitSeconds", message);
    }

    public void Dispose() => _cluster.Dispose();
}
