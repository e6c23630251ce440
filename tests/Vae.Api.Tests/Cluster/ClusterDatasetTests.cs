using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Vae.Api.Datasets;
using Vae.Api.Storage;
using Vae.Api.Tests.Datasets;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// Uploaded datasets on two nodes that share a database and nothing else: an upload on one is
/// listed, opened and trained on by the other; a delete on one reaches the other at once; and a
/// dataset a job of either node uses cannot be deleted from either.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterDatasetTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Pets = ["cat", "dog", "fox"];

    private readonly ClusterNodes _nodes = new(output);

    private async Task<(HttpClient A, HttpClient B, ServiceFactory NodeA, ServiceFactory NodeB, string Database)> TwoAsync()
    {
        string database = await server.CreateDatabaseAsync();
        var (a, b, nodeA, nodeB) = await _nodes.TwoAsync(database);
        return (a, b, nodeA, nodeB, database);
    }

    public void Dispose() => _nodes.Dispose();

    private static async Task<JsonElement> UploadAsync(HttpClient node)
    {
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(Pets, perClass: 5, size: 8, colour: true));
        return await (await node.PostZipAsync(zip, "?name=Pets&description=three%20animals")).CreatedAsync();
    }

    private static string CacheOf(ServiceFactory node) => Path.Combine(node.StateDirectory, "dataset-cache");

    /// <summary>Every IDX file in the node's state folder, relative to it.</summary>
    private static string[] IdxFiles(ServiceFactory node) =>
        [.. Directory.EnumerateFiles(node.StateDirectory, "*.idx", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(node.StateDirectory, f)).Order()];

    private static string[] InCache(ServiceFactory node, string id) =>
        [.. DatasetFiles.Names.Select(f => Path.Combine("dataset-cache", id, f)).Order()];

    private static async Task<long> CountAsync(string database, string sql, string id)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(id);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static Task<long> BlobsOfAsync(string database, string id)
        => CountAsync(database, "SELECT count(*) FROM vae_blobs WHERE starts_with(key, 'datasets/' || $1 || '/');", id);

    private static async Task<IReadOnlyList<string?>> ListedAsync(HttpClient node)
        => [.. JsonDocument.Parse(await node.GetStringAsync("/api/datasets")).RootElement.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("id").GetString())];

    [SkippableFact]
    public async Task An_upload_on_one_node_is_listed_by_the_other_as_it_was_described_and_trained_on_there_from_the_database()
    {
        var (a, b, nodeA, nodeB, database) = await TwoAsync();

        var uploaded = await UploadAsync(a);
        string id = uploaded.GetProperty("id").GetString()!;
        var foundByB = JsonDocument.Parse(await b.GetStringAsync($"/api/datasets/{id}")).RootElement;

        Assert.True(JsonElement.DeepEquals(uploaded, foundByB), $"A: {uploaded}\nB: {foundByB}");
        Assert.Contains(id, await ListedAsync(b));
        Assert.Equal(4, await BlobsOfAsync(database, id));
        // The uploading node keeps only its copy of the files it sent, nothing else of the upload.
        Assert.Equal(InCache(nodeA, id), IdxFiles(nodeA));
        Assert.False(Directory.Exists(Path.Combine(nodeA.StateDirectory, "datasets")));
        Assert.Empty(IdxFiles(nodeB));

        // Two jobs of node B opening it at once make one copy between them, from the database.
        var uploadsB = nodeB.Services.GetRequiredService<IDatasetUploads>();
        var opened = await Task.WhenAll(uploadsB.OpenAsync(id, CancellationToken.None), uploadsB.OpenAsync(id, CancellationToken.None));
        var splitsA = await nodeA.Services.GetRequiredService<DatasetCatalog>().OpenAsync(id, CancellationToken.None);
        var splitsB = await nodeB.Services.GetRequiredService<DatasetCatalog>().OpenAsync(id, CancellationToken.None);

        Assert.Equal((12, 3), (splitsB.Train.Count, splitsB.Test.Count));
        Assert.Equal((3, 8, 8), (splitsB.Train.Channels, splitsB.Train.Height, splitsB.Train.Width));
        Assert.True(splitsA.Train.Pixels.Span.SequenceEqual(splitsB.Train.Pixels.Span));
        Assert.True(splitsA.Test.Labels.Span.SequenceEqual(splitsB.Test.Labels.Span));
        Assert.All(opened, o => Assert.True(o.Train.Pixels.Span.SequenceEqual(splitsA.Train.Pixels.Span)));
        Assert.Equal([id], Directory.EnumerateFileSystemEntries(CacheOf(nodeB)).Select(Path.GetFileName));
        Assert.Equal(InCache(nodeB, id), IdxFiles(nodeB));

        // With node A gone, node B alone trains on it.
        nodeA.Dispose();
        var job = await b.SubmitAsync(new { dataset = id, model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs = 1, batchSize = 4, maxTrainImages = 12 });
        var finished = await b.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 300);

        Assert.True(finished.Status == JobStatus.Succeeded, $"status {finished.Status}, error {finished.Error}");
        Assert.Equal("node-b", finished.Node);
        var model = JsonDocument.Parse(await b.GetStringAsync($"/api/models/{finished.ModelId}")).RootElement;
        Assert.Equal(id, model.GetProperty("dataset").GetString());
        Assert.Equal(Pets, model.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));
    }

    [SkippableFact]
    public async Task A_dataset_deleted_on_one_node_is_gone_from_the_other_within_seconds_with_its_local_copy()
    {
        var (a, b, _, nodeB, database) = await TwoAsync();
        string id = (await UploadAsync(a)).GetProperty("id").GetString()!;
        var catalogB = nodeB.Services.GetRequiredService<DatasetCatalog>();
        await catalogB.OpenAsync(id, CancellationToken.None);
        string copyB = Path.Combine(CacheOf(nodeB), id);
        Assert.True(Directory.Exists(copyB));

        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/api/datasets/{id}")).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        // Nothing on node B is asked to open it: only the event can remove the copy.
        while (IdxFiles(nodeB).Length > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);

        Assert.False(Directory.Exists(copyB), "node B should drop its copy once told of the delete");
        Assert.Empty(IdxFiles(nodeB));
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/datasets/{id}")).StatusCode);
        Assert.DoesNotContain(id, await ListedAsync(b));
        Assert.Equal(0, await BlobsOfAsync(database, id));
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM vae_datasets WHERE id = $1;", id));
        var gone = await Assert.ThrowsAsync<DatasetUnavailableException>(() => catalogB.OpenAsync(id, CancellationToken.None));
        Assert.Contains("deleted", gone.Message);
    }

    [SkippableFact]
    public async Task A_node_that_missed_the_delete_neither_lists_nor_opens_the_dataset_and_drops_its_copy_when_asked_for_it()
    {
        var (a, b, _, nodeB, database) = await TwoAsync();
        string id = (await UploadAsync(a)).GetProperty("id").GetString()!;
        var catalogB = nodeB.Services.GetRequiredService<DatasetCatalog>();
        await catalogB.OpenAsync(id, CancellationToken.None); // loaded in node B's memory and copied to its folder

        // Removed behind both nodes' backs, as a delete whose event was lost.
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            foreach (string sql in new[] { "DELETE FROM vae_datasets WHERE id = $1;", "DELETE FROM vae_blobs WHERE starts_with(key, 'datasets/' || $1 || '/');" })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.AddWithValue(id);
                await command.ExecuteNonQueryAsync();
            }
        }

        Assert.DoesNotContain(id, await ListedAsync(b));
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/datasets/{id}")).StatusCode);
        var gone = await Assert.ThrowsAsync<DatasetUnavailableException>(() => catalogB.OpenAsync(id, CancellationToken.None));
        Assert.Contains("deleted", gone.Message);
        await Assert.ThrowsAsync<DatasetUnavailableException>(() => nodeB.Services.GetRequiredService<IDatasetUploads>().OpenAsync(id, CancellationToken.None));
        Assert.False(Directory.Exists(Path.Combine(CacheOf(nodeB), id)));
        var job = await b.PostJsonAsync($$"""{"dataset": "{{id}}", "model": {"family": "mlp", "latentDim": 2}, "epochs": 1}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, job.StatusCode);
    }

    [SkippableFact]
    public async Task A_dataset_a_job_queued_on_one_node_uses_cannot_be_deleted_on_the_other_until_the_job_ends()
    {
        var (a, b, _, _, _) = await TwoAsync();
        string id = (await UploadAsync(a)).GetProperty("id").GetString()!;
        // Held at its start on whichever node takes it, so it is running when the delete comes.
        var held = _nodes.Gate.HoldAtStart();
        var user = await b.SubmitAsync(new { dataset = id, model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs = 1, batchSize = 4 });
        await held.ReachedAsync();

        var refused = await a.DeleteAsync($"/api/datasets/{id}");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        string detail = (await refused.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains(user.Id, detail);
        Assert.Contains("Cancel", detail);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync($"/api/datasets/{id}")).StatusCode);

        await a.CancelQuietlyAsync(user.Id);
        held.Release();
        var ended = await b.WaitUntilFinishedAsync(user.Id);
        Assert.True(ended.Status is JobStatus.Cancelled, $"status {ended.Status}, error {ended.Error}");
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/api/datasets/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/datasets/{id}")).StatusCode);
    }
}
