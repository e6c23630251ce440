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
        var node = _cluster.Node(database, "node-a");
        var client = node.CreateClient();
        var job = await client.SubmitAsync(new { model = new { family = "mlp", hiddenSizes = new[] { 1024, 1024 }, latentDim = 2 }, epochs = 50, batchSize = 10, maxTrainImages = 1000 });
        await client.WaitForAsync(job.Id, j => j.Status == JobStatus.Running && j.Node == "node-a");

        // What another node does when it recovers the job: the record names it from then on.
        long version = await HandOverAsync(database, job.Id, "node-b");
        var queue = node.Services.GetRequiredService<JobQueue>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (queue.IsRunningHere(job.Id))
        {
            Assert.True(DateTime.UtcNow < deadline, "node A still trains a job the record gives to node B");
            await Task.Delay(100);
        }
        await Task.Delay(1500); // three of node A's progress intervals

        var record = (await node.Services.GetRequiredService<IVaeStore>().GetJobAsync(job.Id, CancellationToken.None))!;
        Assert.Equal("node-b", record.Node);
        Assert.Equal(version, record.Version);
        Assert.Equal(JobStatus.Running, record.Status);
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
