using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Cluster;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Backends;

namespace Vae.Api.Infrastructure;

/// <summary>
/// GET /health: 200 with what this node is when the store answers and the job scheduler runs, 503
/// with the reason otherwise. For orchestrators, GET /health/live (the process answers: restart it
/// when not) and GET /health/ready (the same checks as /health: send it traffic only when 200).
/// </summary>
public static class HealthApi
{
    /// <param name="Status">"live" or "ready".</param>
    /// <param name="Node">The node that answered (Cluster:NodeId).</param>
    public sealed record ProbeView(string Status, string Node);

    /// <param name="Node">The node that answered (Cluster:NodeId).</param>
    /// <param name="Backend">The device it trains and serves on (Engine:Backend): cpu, cuda or ilgpu-cpu.</param>
    /// <param name="Device">That device in words: the card's name, or "host CPU".</param>
    /// <param name="Gemm">Which matrix products run there: openblas or managed on the CPU, cublas or tiled (our shared-memory kernel) on a card.</param>
    /// <param name="Gpu">Whether the node has a GPU: jobs that ask for <c>"device": "gpu"</c> train only on such nodes.</param>
    /// <param name="Queues">The job queues the node takes jobs from (Jobs:Queues): <c>gpu</c> and <c>cpu</c> on a node with a GPU, <c>cpu</c> elsewhere.</param>
    public sealed record HealthView(string Status, string Store, string Scheduler, string Node, string Backend, string Device, string? Gemm, bool Gpu, IReadOnlyList<string> Queues);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Check).WithTags("Health").WithSummary("Whether the store and the job scheduler are up")
            .Produces<HealthView>().ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/health/live", (NodeIdentity node) => TypedResults.Ok(new ProbeView("live", node.Id)))
            .WithTags("Health").WithSummary("Whether the process answers (a liveness probe: it checks nothing else)")
            .Produces<ProbeView>();
        app.MapGet("/health/ready", Ready).WithTags("Health").WithSummary("Whether this node can take requests: its store answers and its job scheduler runs (a readiness probe)")
            .Produces<ProbeView>().ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Ok<ProbeView>, ProblemHttpResult>> Ready(
        IVaeStore store, StorageLocation location, IJobScheduler scheduler, NodeIdentity node, HttpResponse response, CancellationToken ct)
    {
        if (await ProblemsAsync(store, location, scheduler, ct) is { Count: > 0 } problems) return Unavailable(node, problems, response);
        return TypedResults.Ok(new ProbeView("ready", node.Id));
    }

    private static async Task<Results<Ok<HealthView>, ProblemHttpResult>> Check(
        IVaeStore store, StorageLocation location, IJobScheduler scheduler, NodeQueues queues, NodeIdentity node, EngineBackend engine, HttpResponse response, CancellationToken ct)
    {
        if (await ProblemsAsync(store, location, scheduler, ct) is { Count: > 0 } problems) return Unavailable(node, problems, response);
        var backend = engine.Backend;
        return TypedResults.Ok(new HealthView("ok", "ok", "running", node.Id, backend.Name, BackendRegistry.DeviceOf(backend), BackendRegistry.GemmOf(backend), backend.IsGpu, queues.Names));
    }

    private static ProblemHttpResult Unavailable(NodeIdentity node, List<string> problems, HttpResponse response)
    {
        response.Headers.RetryAfter = StoreFaults.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Unavailable($"Node {node.Id}: " + string.Join("; ", problems) + ".");
    }

    /// <summary>What is down: the store, the job scheduler; empty when both are up.</summary>
    private static async Task<List<string>> ProblemsAsync(IVaeStore store, StorageLocation location, IJobScheduler scheduler, CancellationToken ct)
    {
        var problems = new List<string>();
        try { await store.PingAsync(ct); }
        catch (Exception e) when (StoreFaults.IsUnavailable(e))
        {
            string where = location.Provider == StorageProvider.Postgres ? StorageLocation.Describe(location.ConnectionString) : "SQLite database";
            problems.Add($"the {where} does not answer ({e.Message}); models already loaded are still served, requests that need the database get 503 until it is back, and the node reconnects by itself");
        }
        catch (Exception e) when (e is not OperationCanceledException) { problems.Add($"the store does not answer: {e.Message}"); }
        try
        {
            if (await scheduler.ProblemAsync(ct) is { } problem) problems.Add(problem);
        }
        catch (Exception e) when (e is not OperationCanceledException) { problems.Add($"the job scheduler failed: {e.Message}"); }
        return problems;
    }
}
