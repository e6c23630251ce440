namespace Vae.Api.Datasets;

/// <summary>GET /api/datasets: what jobs can train on.</summary>
public static class DatasetsApi
{
    /// <summary>A dataset a job may name.</summary>
    /// <param name="Name">The value for a training request's "dataset".</param>
    /// <param name="Description">What the images are.</param>
    /// <param name="Channels">Image channels.</param>
    /// <param name="Height">Image height in pixels.</param>
    /// <param name="Width">Image width in pixels.</param>
    /// <param name="ClassNames">What each label means: ClassNames[k] names label k.</param>
    public sealed record DatasetView(string Name, string Description, int Channels, int Height, int Width, IReadOnlyList<string> ClassNames);

    public static IEndpointRouteBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/datasets", () => TypedResults.Ok(DatasetCatalog.Sources.Select(s => new DatasetView(s.Name, s.Description, s.Channels, s.Height, s.Width, s.ClassNames)).ToArray()))
            .WithTags("Datasets").WithSummary("The datasets training jobs can use")
            .RequireRateLimiting(Security.SecurityExtensions.RatePolicy);
        return app;
    }
}
