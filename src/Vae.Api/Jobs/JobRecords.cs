using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>
/// Changes to job records, one at a time per job: the training job (status, epochs) and the API
/// (cancel) both read, change and write the whole record, and neither may undo the other's change.
/// Every change of status is published to the job's listeners after it is stored.
/// </summary>
public sealed class JobRecords(IVaeStore store, JobProgress progress, TimeProvider clock)
{
    // A fixed set of locks picked by id: bounded memory however many jobs there have been.
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public DateTimeOffset Now => clock.GetUtcNow();

    public Task<JobRecord?> GetAsync(string id, CancellationToken ct) => store.GetJobAsync(id, ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the stored record (null from it: leave the record as is)
    /// and returns the record before and after; both null when there is no such job.
    /// </summary>
    public async Task<(JobRecord? Before, JobRecord? After)> UpdateAsync(string id, Func<JobRecord, JobRecord?> change, CancellationToken ct)
    {
        var gate = _locks[(int)((uint)StringComparer.Ordinal.GetHashCode(id) % (uint)_locks.Length)];
        await gate.WaitAsync(ct);
        JobRecord? before, after;
        try
        {
            before = await store.GetJobAsync(id, ct);
            if (before is null) return (null, null);
            after = change(before);
            if (after is null || after == before) return (before, before);
            if (!await store.UpdateJobAsync(after, ct)) return (null, null);
            // Published under the lock, so listeners see the changes of one job in the order they were stored.
            if (after.Status != before.Status || after.CancelRequested != before.CancelRequested)
                progress.Publish(id, JobEvent.Status(after.AsView(Now)));
        }
        finally
        {
            gate.Release();
        }
        return (before, after);
    }

    /// <summary>The record marked as ended now with <paramref name="status"/>.</summary>
    public JobRecord Finish(JobRecord job, JobStatus status, string? error = null)
        => job with { Status = status, Error = error, FinishedAt = Now };
}
