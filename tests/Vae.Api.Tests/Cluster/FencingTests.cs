using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// A node the cluster took for dead while it was only stalled (a long pause, a cut network) comes
/// back to find its job given to another node: it must stop training it and leave the record alone.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FencingTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private readonly ClusterNodes _cluster = new(output);

    [SkippableFact]
    public async Task A_node_that_finds_its_job_handed_to_another_node_stops_training_it_and_writes_nothing_more_to_the_record()
    {
        string database = await server.CreateDatabaseAsync();
        // Progress goes to the record after every batch, so node A looks at the record as soon as it goes on.
        var node = _cluster.Node(database, "node-a", progressIntervalSeconds: 0);
        var client = node.CreateClient();
        var held = _cluster.Gate.HoldAtBatch(epoch: 1, batch: 2);
        var job = await client.SubmitAsync(ClusterNodes.TinyJob(epochs: 3));
        await held.ReachedAsync();
        var stopped = _cluster.Gate.WatchStopped(job.Id);

        // What another node does when it recovers the job: the record names it from then on.
        long version = await HandOverAsync(database, job.Id, "node-b");
        held.Release();
        await stopped.ReachedAsync();

        // The run has ended on node A: whatever it was going to write, it has written.
        Assert.False(node.Services.GetRequiredService<JobQueue>().IsRunningHere(job.Id));
        var record = (await node.Services.GetRequiredService<IVaeStore>().GetJobAsync(job.Id, CancellationToken.None))!;
        Assert.Equal("node-b", record.Node);
        Assert.Equal(version, record.Version);
        Assert.Equal(JobStatus.Running, record.Status);
        // It stopped at the first look: the batch it was held before is the last it trained.
        Assert.Equal(2, _cluster.Gate.PassedCount(job.Id, TrainingStep.Batch));
    }

    private static async Task<long> HandOverAsync(string database, string jobId, string node)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE vae_jobs SET node = $1, version = version + 1 WHERE id = $2 RETURNING version;", connection);
        command.Parameters.AddWithValue(node);
        command.Parameters.AddWithValue(jobId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose() => _cluster.Dispose();
}
