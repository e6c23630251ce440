namespace Vae.Api.Jobs;

/// <summary>
/// The job library under the service, behind a seam of ours: it keeps the queue of stored jobs,
/// hands each run to <see cref="JobRunner"/> on whichever node has a free slot, and gives a run back
/// to the queue when the node stops. Everything else (records, cancellation, recovery, health) talks
/// to this interface, so the library can change without the jobs noticing.
/// </summary>
public interface IJobScheduler
{
    /// <summary>
    /// Queues a stored job on <paramref name="queue"/> (<see cref="JobQueues"/>) to run as soon as a
    /// node serving that queue has a free slot; nothing happens when the scheduler has it already.
    /// </summary>
    Task EnqueueAsync(string jobId, string? name, string queue, CancellationToken ct);

    /// <summary>
    /// Gives a run this node cannot train back to the queue, to be tried again after
    /// <paramref name="delay"/> by whichever node takes it then. Called from within the run.
    /// Nothing happens when the job has left the queue meanwhile (it was cancelled).
    /// </summary>
    Task RetryLaterAsync(JobRun run, TimeSpan delay, CancellationToken ct);

    /// <summary>Whether the queue holds the job (queued, or running somewhere).</summary>
    Task<bool> IsScheduledAsync(string jobId, CancellationToken ct);

    /// <summary>Takes a queued job off the queue; a run starting at that very moment finds its record cancelled and does nothing.</summary>
    Task RemoveAsync(string jobId, CancellationToken ct);

    /// <summary>Asks a run of the job that this process has started but not yet registered to stop.</summary>
    Task InterruptAsync(string jobId, CancellationToken ct);

    /// <summary>The queues some running node takes jobs from (this node's own included).</summary>
    Task<IReadOnlySet<string>> ServedQueuesAsync(CancellationToken ct);

    /// <summary>Jobs waiting in each queue of <see cref="JobQueues.Known"/> for a node to take them (not those waiting for a retry).</summary>
    Task<IReadOnlyDictionary<string, long>> QueueLengthsAsync(CancellationToken ct);

    /// <summary>Null while the scheduler runs; otherwise what is wrong with it, for /health.</summary>
    Task<string?> ProblemAsync(CancellationToken ct);
}

/// <summary>
/// One run of a job as the library hands it over: the job, whether the run recovers one a stopped or
/// dead node had started, and the library's own handle of the run (what <see cref="IJobScheduler.RetryLaterAsync"/> needs).
/// </summary>
public sealed record JobRun(string JobId, bool Recovering, object? Handle = null)
{
    /// <summary>Which try of the job this run is (1 for the first); runs after a transient failure count up.</summary>
    public int Attempt { get; init; } = 1;
}
