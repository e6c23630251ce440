using Hangfire;
using Hangfire.States;
using Hangfire.Storage;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// <see cref="IJobScheduler"/> on Hangfire. Each training job is one Hangfire background job on its
/// device's queue; which one is kept in Hangfire's own storage (a hash per training job), so every
/// node finds it. Cancelling a running job deletes its background job, which Hangfire turns into a
/// cancellation of the run's token on whichever node runs it.
/// </summary>
public sealed class HangfireJobScheduler(JobStorage storage, IBackgroundJobClient client, NodeQueues own, ILogger<HangfireJobScheduler> log) : IJobScheduler
{
    /// <summary>States in which a background job is still to run or running.</summary>
    private static readonly HashSet<string> Pending =
        [EnqueuedState.StateName, ProcessingState.StateName, ScheduledState.StateName, AwaitingState.StateName];

    private static string KeyOf(string jobId) => "vae-job:" + jobId;

    /// <summary>The background job of a training job and its queue; null when it never had one.</summary>
    public static (string Id, string Queue)? BackgroundJobOf(IStorageConnection connection, string jobId)
        => connection.GetAllEntriesFromHash(KeyOf(jobId)) is { } entries && entries.TryGetValue("id", out var id)
            ? (id, entries.TryGetValue("queue", out var queue) ? queue : JobQueues.Cpu)
            : null;

    private static void Remember(IStorageConnection connection, string jobId, string id, string queue)
    {
        using var transaction = connection.CreateWriteTransaction();
        transaction.SetRangeInHash(KeyOf(jobId), [new("id", id), new("queue", queue)]);
        transaction.Commit();
    }

    // Hangfire's storage API is synchronous; these run on the pool rather than on the request's thread.
    public Task EnqueueAsync(string jobId, string? name, string queue, CancellationToken ct) => Task.Run(() =>
    {
        using var connection = storage.GetConnection();
        // Two nodes recovering the same job at start queue it once.
        using var _ = connection.AcquireDistributedLock("vae-enqueue:" + jobId, TimeSpan.FromSeconds(30));
        if (BackgroundJobOf(connection, jobId) is { } existing && Pending.Contains(connection.GetStateData(existing.Id)?.Name ?? ""))
        {
            log.LogDebug("Job {JobId} is already scheduled", jobId);
            return;
        }
        string id = client.Create<HangfireTrainingJob>(j => j.RunAsync(jobId, name, null, CancellationToken.None), new EnqueuedState(queue));
        Remember(connection, jobId, id, queue);
    }, ct);

    /// <summary>A new background job, scheduled after the delay on the same queue; the run at hand then ends as done.</summary>
    public Task RetryLaterAsync(JobRun run, TimeSpan delay, CancellationToken ct) => Task.Run(() =>
    {
        using var connection = storage.GetConnection();
        if (BackgroundJobOf(connection, run.JobId) is not { } current || (run.Handle is string handle && handle != current.Id))
        {
            log.LogDebug("Job {JobId} was taken off the scheduler as it was handed back", run.JobId);
            return;
        }
        var name = connection.GetJobData(current.Id)?.Job?.Args is [_, string n, ..] ? n : null;
        string id = client.Create<HangfireTrainingJob>(j => j.RunAsync(run.JobId, name, null, CancellationToken.None), new ScheduledState(delay));
        Remember(connection, run.JobId, id, current.Queue);
    }, ct);

    public Task<bool> IsScheduledAsync(string jobId, CancellationToken ct) => Task.Run(() =>
    {
        using var connection = storage.GetConnection();
        return BackgroundJobOf(connection, jobId) is { } job && Pending.Contains(connection.GetStateData(job.Id)?.Name ?? "");
    }, ct);

    public Task RemoveAsync(string jobId, CancellationToken ct) => Task.Run(() =>
    {
        using var connection = storage.GetConnection();
        // A run starting at this moment finds its record cancelled and does nothing.
        if (BackgroundJobOf(connection, jobId) is { } job) client.Delete(job.Id);
    }, ct);

    /// <summary>Deleting the background job cancels the run's token wherever it runs (Hangfire checks every few seconds).</summary>
    public Task InterruptAsync(string jobId, CancellationToken ct) => RemoveAsync(jobId, ct);

    /// <summary>The queues of the servers Hangfire lists (a dead node's go once it misses its heartbeats), and this node's.</summary>
    public Task<IReadOnlySet<string>> ServedQueuesAsync(CancellationToken ct) => Task.Run(() =>
    {
        var served = new HashSet<string>(own.Names, StringComparer.Ordinal);
        foreach (var server in storage.GetMonitoringApi().Servers()) served.UnionWith(server.Queues ?? []);
        return (IReadOnlySet<string>)served;
    }, ct);

    public Task<IReadOnlyDictionary<string, long>> QueueLengthsAsync(CancellationToken ct) => Task.Run(() =>
    {
        var monitoring = storage.GetMonitoringApi();
        return (IReadOnlyDictionary<string, long>)JobQueues.Known.ToDictionary(q => q, monitoring.EnqueuedCount);
    }, ct);

    public Task<string?> ProblemAsync(CancellationToken ct) => Task.Run(() =>
    {
        try
        {
            using var connection = storage.GetConnection();
            connection.GetAllEntriesFromHash("vae-health");
            return (string?)null;
        }
        catch (Exception e)
        {
            return $"the job storage does not answer: {e.Message}";
        }
    }, ct);
}
