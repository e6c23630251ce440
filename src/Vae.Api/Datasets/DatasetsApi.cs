namespace Vae.Api.Datasets;

/// <summary>/api/datasets: what jobs can train on.</summary>
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
    public sealed record DatasetView(
        string Id, string Name, string Description, int Channels, int Height, int Width, IReadOnlyList<string>? ClassNames,
        int TrainImages, int TestImages, bool BuiltIn, bool Fetched, DateTimeOffset? CreatedAt);

    public sealed record DatasetList(IReadOnlyList<DatasetView> Datasets);

    public static IEndpointRouteBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        var datasets = app.MapGroup("/api/datasets").WithTags("Datasets").RequireRateLimiting(Security.SecurityExtensions.RatePolicy);
        datasets.MapGet("/", ListAsync).WithSummary("The datasets training jobs can use: the built-in ones, then the uploads");
        return app;
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<DatasetList>> ListAsync(DatasetCatalog catalog, CancellationToken ct)
    {
        var all = await catalog.ListAsync(ct);
        return TypedResults.Ok(new DatasetList(all.Select(AsView).ToArray()));
    }

    public static DatasetView AsView(this DatasetInfo d)
        => new(d.Id, d.Name, d.Description, d.Channels, d.Height, d.Width, d.ClassNames, d.TrainImages, d.TestImages, d.BuiltIn, d.Fetched, d.CreatedAt);
}
