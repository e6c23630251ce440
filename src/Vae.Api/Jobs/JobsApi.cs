using Vae.Api.Datasets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Security;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>/api/jobs: queue training, list and inspect jobs, cancel them, follow their progress live.</summary>
public static class JobsApi
{
    /// <summary>A training request is a few hundred bytes; anything near this is not one.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").WithTags("Jobs").RequireRateLimiting(SecurityExtensions.RatePolicy);

        jobs.MapPost("/", Create).RequireWriteAccess()
            .WithSummary("Queue a training job")
            .WithDescription("Every field has a default: an empty body or {} trains the compact MNIST VAE (784-400-20, 10 epochs). "
                + "\"model\" is one object whose \"family\" (mlp, conv, resnet) picks its fields; the image shape and class count come from the dataset. "
                + "{\"model\": {\"family\": \"resnet\"}, \"dataset\": \"cifar10\"} trains the ResNet-18 VAE of the CIFAR-10 tutorial.")
            .AcceptsOptionalBody<TrainingRequest>(ContentNegotiation.Json)
            .Produces<JobView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        jobs.MapGet("/", List)
            .WithSummary("List jobs, newest first, a page at a time, optionally by status, dataset or name")
            .WithDescription("Each page holds at most limit jobs; nextCursor, passed back as ?cursor=, gives the next one (null on the last page). "
                + "An unknown query parameter is a 400 naming it; a value out of range a 422.")
            .RejectsUnknownQuery<JobListQuery>()
            .Produces<JobList>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        jobs.MapGet("/{id}", Get)
            .WithSummary("One job with its per-epoch metrics").Produces<JobView>().ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapDelete("/{id}", Delete).RequireWriteAccess()
            .WithSummary("Cancel a job, or delete the record of one that has ended")
            .WithDescription("A queued job is cancelled at once (200); a running one stops after its current batch (202, then status cancelled). "
                + "A job that has ended (succeeded, failed or cancelled) has its record and its checkpoint deleted (204); the model it made stays, under /api/models.")
            .Produces<JobView>().Produces<JobView>(StatusCodes.Status202Accepted).Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id}/resume", Resume).RequireWriteAccess()
            .WithSummary("Resume a failed or cancelled job")
            .WithDescription("Queues a failed or cancelled job again. It continues from its last epoch checkpoint when it kept one (a cancelled job keeps the one of its last finished epoch; "
                + "a job stopped by a checkpoint that could not be written keeps the one before), and from the start otherwise; the epochs already recorded stay and are not trained again. "
                + "Only failed and cancelled jobs can be resumed (409 otherwise).")
            .Produces<JobView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("/{id}/events", Events)
            .WithSummary("Follow a job live (Server-Sent Events)")
            .WithDescription("Events: 'status' (the job: first as it is now, its progress up to the newest batch, then on every change), 'epoch' after each epoch, "
                + "'batch' with the newest batch at most 4 times a second (Jobs:EventBatchIntervalSeconds). The stream ends after the final status. "
                + "Every event has an id, and the first a retry interval: a client that loses the stream sends the last id back as Last-Event-ID "
                + "(EventSource does it by itself) or ?lastEventId=, on any node, and the stream resumes after it: the epochs it missed, the status if it changed, "
                + "then what comes. A client that already has the final status of an ended job gets 204, which stops EventSource.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Accepted<JobView>, ProblemHttpResult>> Create(
        HttpRequest http, JobQueue queue, IVaeStore store, DatasetCatalog datasets, DatasetUseLock datasetUse, IOptions<JobsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(http, MaxRequestBytes, "a training request", RequestShape, ct);
        if (problem is not null) return problem;
        var (plan, problems) = await TrainingRequestValidation.ReadAsync(body!, datasets, options.Value, ct);
        if (plan is null) return TrainingRequestValidation.ToProblem(problems);
        if (plan.Request.Name is { } name && await store.GetAliasAsync(name, ct) is not null)
            return TrainingRequestValidation.ToProblem([new("name", $"'{name}' is an alias (GET /api/aliases/{name}); a model name may not be one, since /api/models/{name} looks up aliases first. Choose another name.")]);
        var job = await datasetUse.UnlessDeletedAsync(plan.Dataset, datasets, () => queue.SubmitAsync(plan.Request, ct), ct);
        if (job is null) return TrainingRequestValidation.ToProblem([new("dataset", $"names '{plan.Dataset.Id}', which was deleted while the request was checked.")]);
        return TypedResults.Accepted($"/api/jobs/{job.Id}", job.AsView(clock.GetUtcNow()));
    }

    private static async Task<Results<Ok<JobList>, ProblemHttpResult>> List([AsParameters] JobListQuery query, IVaeStore store, TimeProvider clock, CancellationToken ct)
    {
        var (filter, page, problem) = query.Read();
        if (problem is not null) return Problems.Invalid(problem.Parameter, problem.Message);
        var now = clock.GetUtcNow();
        var jobs = await store.ListJobsAsync(filter!, page!, ct);
        return TypedResults.Ok(new JobList([.. jobs.Items.Select(j => j.AsView(now))], Paging.NextCursor(jobs)));
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> Get(string id, IVaeStore store, JobProgress progress, TimeProvider clock, CancellationToken ct)
    {
        var job = await store.GetJobAsync(id, ct);
        var now = clock.GetUtcNow();
        // The progress as far as this node has heard, which for a job it trains is the batch that just ended.
        return job is null ? NoSuchJob(id) : TypedResults.Ok(job.AsView(now).WithLatestBatch(progress.LatestBatch(id), now));
    }

    private static async Task<Results<Accepted<JobView>, ProblemHttpResult>> Resume(string id, JobQueue queue, TimeProvider clock, CancellationToken ct)
    {
        var (before, after) = await queue.ResumeAsync(id, ct);
        if (before is null) return NoSuchJob(id);
        if (!JobQueue.IsResumable(before.Status))
            return Problems.Make(StatusCodes.Status409Conflict, "Only a failed or cancelled job can be resumed",
                before.Status == JobStatus.Succeeded
                    ? $"Job '{id}' succeeded; its model is {before.ModelId}. Queue a new job with POST /api/jobs to train again."
                    : $"Job '{id}' is {before.Status.ToString().ToLowerInvariant()}; only failed and cancelled jobs can be resumed.");
        return TypedResults.Accepted($"/api/jobs/{id}", after!.AsView(clock.GetUtcNow()));
    }

    private static async Task<Results<Ok<JobView>, Accepted<JobView>, NoContent, ProblemHttpResult>> Delete(string id, JobQueue queue, TimeProvider clock, CancellationToken ct)
    {
        var (outcome, job) = await queue.CancelOrDeleteAsync(id, ct);
        var now = clock.GetUtcNow();
        return outcome switch
        {
            CancelOutcome.Cancelled => TypedResults.Ok(job!.AsView(now)),
            CancelOutcome.Requested => TypedResults.Accepted($"/api/jobs/{id}", job!.AsView(now)),
            CancelOutcome.Deleted => TypedResults.NoContent(),
            _ => NoSuchJob(id),
        };
    }

    private static async Task<Results<ServerSentEventsResult<object>, NoContent, ProblemHttpResult>> Events(
        string id, [AsParameters] JobEventsQuery query, IVaeStore store, JobProgress progress, IOptions<JobsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        JobEventId? from = null;
        if (query.Given is { } given)
        {
            if (!JobEventId.TryParse(given, out var parsed))
                return Problems.BadRequest($"Last-Event-ID '{(given.Length > 40 ? given[..40] + "..." : given)}' is not an id this stream sends: they look like 1.3.120.17 "
                    + "(the run, the epochs done, the batch, the record's version). Leave it out to start from the job as it is now.");
            from = parsed;
        }
        // Listen before reading the record: whatever happens after the read is then in the queue.
        var subscription = progress.Subscribe(id);
        JobRecord? job;
        try
        {
            job = await store.GetJobAsync(id, ct);
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
        if (job is null)
        {
            subscription.Dispose();
            return NoSuchJob(id);
        }
        var pacing = new JobEventPacing(
            TimeSpan.FromSeconds(options.Value.EventBatchIntervalSeconds), TimeSpan.FromSeconds(options.Value.EventRetrySeconds), StreamRecheckInterval);
        var stream = new JobEventStream(job, subscription, from, progress.LatestBatch(id), c => store.GetJobAsync(id, c), clock, pacing);
        if (stream.IsComplete)
        {
            subscription.Dispose();
            return TypedResults.NoContent();
        }
        return TypedResults.ServerSentEvents(stream.ReadAllAsync(ct));
    }

    /// <summary>How often a stream re-reads its job, in case the event of its end was lost (another node's, sent while this one was disconnected).</summary>
    public static readonly TimeSpan StreamRecheckInterval = TimeSpan.FromSeconds(10);

    private static ProblemHttpResult NoSuchJob(string id)
        => Problems.NotFound($"There is no job '{id}'. GET /api/jobs lists the jobs there are.");

    private const string RequestShape = "{\"dataset\": \"mnist\", \"model\": {\"family\": \"conv\"}, \"epochs\": 5}";
}
