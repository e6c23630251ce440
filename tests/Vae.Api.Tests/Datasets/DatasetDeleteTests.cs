using System.Net;
using System.Text.Json;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Datasets;

/// <summary>Deleting uploads: gone for good, but never from under a job, and never a built-in dataset.</summary>
public sealed class DatasetDeleteTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceFactory _factory = new(output);

    public void Dispose() => _factory.Dispose();

    private async Task<string> UploadAsync(HttpClient client)
    {
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["cat", "dog"], perClass: 4));
        return (await (await client.PostZipAsync(zip)).CreatedAsync()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_deleted_upload_is_204_then_404_and_its_folder_and_listing_are_gone()
    {
        var client = _factory.CreateClient();
        string id = await UploadAsync(client);

        var deleted = await client.DeleteAsync($"/api/datasets/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/datasets/{id}")).StatusCode);
        var again = await client.DeleteAsync($"/api/datasets/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains($"no dataset '{id}'", (await again.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Empty(_factory.StoredEntries());
        var ids = JsonDocument.Parse(await client.GetStringAsync("/api/datasets")).RootElement.GetProperty("datasets").EnumerateArray()
            .Select(d => d.GetProperty("id").GetString());
        Assert.DoesNotContain(id, ids);

        var job = await client.PostJsonAsync($$"""{"dataset": "{{id}}", "model": {"family": "mlp", "latentDim": 2}, "epochs": 1}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, job.StatusCode);
        Assert.Contains("dataset", (await job.ProblemAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task An_upload_a_queued_or_running_job_uses_cannot_be_deleted_until_the_job_ends()
    {
        var client = _factory.CreateClient();
        string id = await UploadAsync(client);
        // One job trains at a time: one on MNIST, held at its start, keeps the job on the upload queued.
        var held = _factory.Gate.HoldAtStart();
        var blocker = await client.SubmitAsync(new { model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs = 1, batchSize = 100 });
        await held.ReachedAsync();
        var user = await client.SubmitAsync(new { dataset = id, model = new { family = "mlp", latentDim = 2 }, epochs = 1, batchSize = 4 });

        var refused = await client.DeleteAsync($"/api/datasets/{id}");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        string detail = (await refused.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains(user.Id, detail);
        Assert.DoesNotContain(blocker.Id, detail);
        Assert.Contains("Cancel", detail);
        Assert.Equal([id], _factory.StoredEntries());

        await client.CancelQuietlyAsync(user.Id);
        held.Release();
        Assert.Equal(JobStatus.Cancelled, (await client.WaitUntilFinishedAsync(user.Id)).Status);
        Assert.Equal(JobStatus.Succeeded, (await client.WaitUntilFinishedAsync(blocker.Id)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/datasets/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("mnist")]
    [InlineData("CIFAR10")]
    public async Task A_built_in_dataset_cannot_be_deleted(string id)
    {
        var client = _factory.CreateClient();

        var refused = await client.DeleteAsync($"/api/datasets/{id}");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("only uploaded datasets can be deleted", (await refused.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/datasets/{id.ToLowerInvariant()}")).StatusCode);
    }

    [Fact]
    public async Task Uploading_and_deleting_need_write_access()
    {
        string id = await UploadAsync(_factory.CreateClient());
        using var remote = new ServiceFactory(output, _factory.StateDirectory, remoteAddress: IPAddress.Parse("203.0.113.9"));
        var client = remote.CreateClient();
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["cat", "dog"], perClass: 2));

        var upload = await client.PostZipAsync(zip);
        var delete = await client.DeleteAsync($"/api/datasets/{id}");

        Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal([id], _factory.StoredEntries());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/datasets/{id}")).StatusCode);
    }
}
