using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Security;
using Vae.Api.Storage;

namespace Vae.Api.Sweeps;

/// <summary>/api/sweeps: train one model per combination of values of a few fields, and compare them.</summary>
public static class SweepsApi
{
    /// <summary>A sweep is a training request and a few lists of values; anything near this is not one.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapSweeps(this IEndpointRouteBuilder app)
    {
        var sweeps = app.MapGroup("/api/sweeps").WithTags("Sweeps").RequireRateLimiting(SecurityExtensions.RatePolicy);

        sweeps.MapPost("/", Create).RequireWriteAccess()
            .WithSummary("Start a sweep: one training job per combination of values")
            .WithDescription("\"base\" is a training request exactly as POST /api/jobs takes it; \"grid\" maps fields of it, as dotted paths "
                + "(\"epochs\", \"learningRate\", \"model.beta\", \"model.latentDim\", \"model.kind\"), to the values to try. Every combination is one job, "
                + "the last key varying fastest; all of them train with the base's seed, so their weights start alike and they see the images in the same order, "
                + "and the swept values are the only difference. Every point is checked as POST /api/jobs checks a request before any job is queued: "
                + "a value that is not accepted is a 422 naming its grid key and the value, and nothing is queued. At most Sweeps:MaxPoints points (64 by default).")
            .AcceptsBody<SweepRequest>(ContentNegotiation.Json)
            .Produces<SweepView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        sweeps.MapGet("/", List)
            .WithSummary("List sweeps, newest first, a page at a time, optionally by status or name")
            .WithDescription("Each page holds at most limit sweeps; nextCursor, passed back as ?cursor=, gives the next one (null on the last page). "
                + "A sweep's status is read from its jobs when it is listed. An unknown query parameter is a 400 naming it; a value out of range a 422.")
            .RejectsUnknownQuery<SweepListQuery>()
            .Produces<SweepList>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        sweeps.MapGet("/{id}", Get)
            .WithSummary("One sweep with the status, progress and metrics of every point")
            .Produces<SweepView>().ProducesProblem(StatusCodes.Status404NotFound);
        sweeps.MapDelete("/{id}", Cancel).RequireWriteAccess()
            .WithSummary("Cancel a sweep's unfinished jobs")
            .WithDescription("Queued jobs are cancelled at once, running ones stop after their current batch. 200 when every job has ended "
                + "(cancelling a finished sweep changes nothing), 202 while a running job is still stopping. Models of finished points stay.")
            .Produces<SweepView>().Produces<SweepView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Accepted<SweepView>, ProblemHttpResult>> Create(
        HttpRequest http, SweepQueue queue, IVaeStore store, DatasetCatalog datasets,
        IOptions<JobsOptions> jobs, IOptions<SweepsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(http, MaxRequestBytes, "a sweep", RequestShape, ct);
        if (problem is not null) return problem;
        var (plan, problems) = await SweepPlanner.PlanAsync(body!, datasets, jobs.Value, options.Value, ct);
        if (plan is null) return TrainingRequestValidation.ToProblem(problems);
        var aliases = (await store.ListAliasesAsync(ct)).Select(a => a.Alias).ToHashSet(StringComparer.Ordinal);
        if (plan.Points.Select(p => p.Training.Request.Name).FirstOrDefault(n => n is not null && aliases.Contains(n)) is { } clash)
            return TrainingRequestValidation.ToProblem([new("name", $"would name a point's model '{clash}', which is an alias (GET /api/aliases/{clash}); choose another name.")]);
        var sweep = await queue.SubmitAsync(plan, ct);
        if (sweep is null) return TrainingRequestValidation.ToProblem([new("base.dataset", "names an uploaded dataset that was deleted while the sweep was checked; nothing was queued.")]);
        return TypedResults.Accepted($"/api/sweeps/{sweep.Id}", await sweep.AsViewAsync(store, clock.GetUtcNow(), CancellationToken.None));
    }

    private static async Task<Results<Ok<SweepList>, ProblemHttpResult>> List([AsParameters] SweepListQuery query, IVaeStore store, TimeProvider clock, CancellationToken ct)
    {
        var (status, filter, page, problem) = query.Read();
        if (problem is not null) return Problems.Invalid(problem.Parameter, problem.Message);
        var now = clock.GetUtcNow();
        var views = new List<SweepView>();
        // The status is read from each sweep's jobs, so it is filtered here: batches of as many sweeps as
        // the page still lacks, so that a full page ends at a batch's end, where the next one starts.
        var position = page!.After;
        while (true)
        {
            var batch = await store.ListSweepsAsync(filter!, new PageRequest(page.Limit - views.Count, position), ct);
            foreach (var sweep in batch.Items)
            {
                var view = await sweep.AsViewAsync(store, now, ct);
                if (status is null || view.Status == status) views.Add(view);
            }
            if (batch.Next is null || views.Count == page.Limit) return TypedResults.Ok(new SweepList(views, Paging.NextCursor(batch)));
            position = batch.Next;
        }
    }

    private static async Task<Results<Ok<SweepView>, ProblemHttpResult>> Get(string id, IVaeStore store, TimeProvider clock, CancellationToken ct)
    {
        var sweep = await store.GetSweepAsync(id, ct);
        return sweep is null ? NoSuchSweep(id) : TypedResults.Ok(await sweep.AsViewAsync(store, clock.GetUtcNow(), ct));
    }

    private static async Task<Results<Ok<SweepView>, Accepted<SweepView>, ProblemHttpResult>> Cancel(
        string id, SweepQueue queue, IVaeStore store, TimeProvider clock, CancellationToken ct)
    {
        var (sweep, stopping) = await queue.CancelAsync(id, ct);
        if (sweep is null) return NoSuchSweep(id);
        var view = await sweep.AsViewAsync(store, clock.GetUtcNow(), CancellationToken.None);
        return stopping ? TypedResults.Accepted($"/api/sweeps/{id}", view) : TypedResults.Ok(view);
    }

    private static ProblemHttpResult NoSuchSweep(string id)
        => Problems.NotFound($"There is no sweep '{id}'. GET /api/sweeps lists the sweeps there are.");

    private const string RequestShape = "{\"base\": {\"model\": {\"family\": \"mlp\"}, \"epochs\": 5}, \"grid\": {\"model.beta\": [0.5, 1, 4]}}";
}
