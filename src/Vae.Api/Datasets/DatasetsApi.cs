using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Cluster;
using Vae.Api.Infrastructure;
using Vae.Api.Security;
using Vae.Api.Storage;

namespace Vae.Api.Datasets;

/// <summary>/api/datasets: what jobs can train on; uploading and deleting datasets.</summary>
public static class DatasetsApi
{
    /// <summary>A dataset a job may name.</summary>
    /// <param name="Id">The value for a training request's "dataset".</param>
    /// <param name="Name">A name for people.</param>
    /// <param name="Description">What the images are.</param>
    /// <param name="Channels">Image channels: 1 gray, 3 colour.</param>
    /// <param name="Height">Image height in pixels.</param>
    /// <param name="Width">Image width in pixels.</param>
    /// <param name="ClassNames">What each label means: ClassNames[k] names label k; null when the images have no labels.</param>
    /// <param name="TrainImages">Images in the training split.</param>
    /// <param name="TestImages">Images in the test split.</param>
    /// <param name="BuiltIn">Shipped with the service rather than uploaded.</param>
    /// <param name="Fetched">Its files are on this machine already; a built-in dataset is otherwise fetched when a job first needs it.</param>
    /// <param name="CreatedAt">When it was uploaded; null for built-in datasets.</param>
    /// <param name="Bytes">Bytes an upload's images and labels take on disk; null for built-in datasets.</param>
    public sealed record DatasetView(
        string Id, string Name, string Description, int Channels, int Height, int Width, IReadOnlyList<string>? ClassNames,
        int TrainImages, int TestImages, bool BuiltIn, bool Fetched, DateTimeOffset? CreatedAt, long? Bytes);

    public sealed record DatasetList(IReadOnlyList<DatasetView> Datasets);

    public static IEndpointRouteBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        var datasets = app.MapGroup("/api/datasets").WithTags("Datasets").RequireRateLimiting(SecurityExtensions.RatePolicy);
        datasets.MapGet("/", ListAsync).WithSummary("The datasets training jobs can use: the built-in ones, then the uploads, newest first");
        datasets.MapGet("/{id}", GetAsync)
            .WithSummary("One dataset, built in or uploaded")
            .ProducesProblem(StatusCodes.Status404NotFound);
        datasets.MapPost("/", UploadAsync).RequireWriteAccess()
            .WithSummary("Upload a dataset")
            .WithDescription(UploadDocs.Description)
            .WithMetadata(new UploadDocs.UploadBody())
            .ReadsImages()
            .Produces<DatasetView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        datasets.MapDelete("/{id}", DeleteAsync).RequireWriteAccess()
            .WithSummary("Delete an uploaded dataset")
            .WithDescription("Removes the upload's images (204). Built-in datasets cannot be deleted (409), nor an upload that a queued or running job trains on (409: " +
                "cancel the job or let it finish first). Models trained on it stay usable: they keep their class names.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Ok<DatasetList>> ListAsync(DatasetCatalog catalog, CancellationToken ct)
    {
        var all = await catalog.ListAsync(ct);
        return TypedResults.Ok(new DatasetList(all.Select(AsView).ToArray()));
    }

    private static async Task<Results<Ok<DatasetView>, ProblemHttpResult>> GetAsync(string id, DatasetCatalog catalog, CancellationToken ct)
    {
        var dataset = await catalog.FindAsync(id, ct);
        return dataset is null ? NoSuchDataset(id) : TypedResults.Ok(dataset.AsView());
    }

    private static async Task<Results<Created<DatasetView>, ProblemHttpResult>> UploadAsync(
        HttpRequest request, DatasetUploader uploader, string? name, string? description, CancellationToken ct)
    {
        try
        {
            var dataset = await uploader.UploadAsync(request, name, description, ct);
            return TypedResults.Created($"/api/datasets/{dataset.Id}", dataset.AsView());
        }
        catch (UploadRejectedException e)
        {
            return e.ToProblem();
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, DatasetCatalog catalog, IDatasetUploads uploads, IVaeStore store, DatasetUseLock useLock, IClusterEvents events, CancellationToken ct)
    {
        if (DatasetCatalog.FindBuiltIn(id) is { } builtIn)
        {
            return Problems.Make(StatusCodes.Status409Conflict, "Built-in datasets cannot be deleted",
                $"'{builtIn.Id}' ships with the service; only uploaded datasets can be deleted. Its cached files live in the datasets folder (Datasets:Directory).");
        }
        await using (await useLock.EnterAsync(ct))
        {
            if (await uploads.FindAsync(id, ct) is null) return NoSuchDataset(id);
            // Every job of every node (the records are shared), not a page of them: a queued job may be older than the newest hundred.
            var users = (await store.ListJobsAsync(int.MaxValue, ct)).Where(j => !j.IsFinished && j.Request.Dataset == id).Select(j => j.Id).ToList();
            if (users.Count > 0)
            {
                return Problems.Make(StatusCodes.Status409Conflict, "The dataset is in use",
                    $"Dataset '{id}' is used by {(users.Count == 1 ? "job" : "jobs")} {string.Join(", ", users)}, queued or running. " +
                    "Cancel them (DELETE /api/jobs/{id}) or wait for them to end, then delete the dataset.");
            }
            if (!await uploads.DeleteAsync(id, ct)) return NoSuchDataset(id);
            catalog.Forget(id);
        }
        // The other nodes drop their loaded images and local copy now rather than when they next open it.
        await events.PublishAsync(ClusterEvent.DatasetChangedType, id, CancellationToken.None);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NoSuchDataset(string id)
        => Problems.NotFound($"There is no dataset '{id}'. GET /api/datasets lists the datasets there are; POST /api/datasets uploads one.");

    public static DatasetView AsView(this DatasetInfo d)
        => new(d.Id, d.Name, d.Description, d.Channels, d.Height, d.Width, d.ClassNames, d.TrainImages, d.TestImages, d.BuiltIn, d.Fetched, d.CreatedAt, d.Bytes);
}
