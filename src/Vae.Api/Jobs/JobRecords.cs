using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>
/// Changes to job records: the training job (status, epochs, progress) and the API (cancel) both
/// read, change and write the whole record, and neither may undo the other's change. Within this
/// process changes to one job take turns; across processes (several nodes on one database) the
/// record's version decides: a write made from a stale read is refused by the store, and the change
/// is made again on the record as it now is. Every change of status is published to the job's
/// listeners after it is stored.
/// </summary>
public sealed class JobRecords(IVaeStore store, JobProgress progress, TimeProvider clock)
{
    /// <summary>Reads and retries before an update gives up on a record that keeps changing under it.</summary>
    public const int MaxAttempts = 20;

    // A fixed set of locks picked by id: bounded memory however many jobs there have been.
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public DateTimeOffset Now => clock.GetUtcNow();

    public Task<JobRecord?> GetAsync(string id, CancellationToken ct) => store.GetJobAsync(id, ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the stored record (null from it: leave the record as is)
    /// and returns the record before and after; both null when there is no such job. The change may
    /// run more than once, each time on a fresher record, so it must only depend on its argument.
    /// </summary>
    /// <exception cref="InvalidOperationException">Other writers won every one of <see cref="MaxAttempts"/> attempts.</exception>
    public async Task<(JobRecord? Before, JobRecord? After)> UpdateAsync(string id, Func<JobRecord, JobRecord?> change, CancellationToken ct)
    {
        var gate = _locks[(int)((uint)StringComparer.Ordinal.GetHashCode(id) % (uint)_locks.Length)];
        await gate.WaitAsync(ct);
        try
        {
            for (int attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                var before = await store.GetJobAsync(id, ct);
                if (before is null) return (null, null);
                var after = change(before);
                if (after is null || after == before) return (before, before);
                // The change is made from what was read: the store takes it only if nobody wrote in between.
                if (!await store.UpdateJobAsync(after with { Version = before.Version }, ct)) continue;
                after = after with { Version = before.Version + 1 };
                // Published under the lock, so listeners see the changes of one job in the order they were stored.
                if (after.Status != before.Status || after.CancelRequested != before.CancelRequested)
                    progress.Publish(id, JobEvent.Status(after.AsView(Now), after.Version));
                return (before, after);
            }
        }
        finally
        {
            gate.Release();
        }
        throw new InvalidOperationException($"Job '{id}' changed under every one of {MaxAttempts} attempts to update it; try again.");
    }

    /// <summary>The record marked as ended now with <paramref name="status"/>.</summary>
    public JobRecord Finish(JobRecord job, JobStatus status, string? error = null)
        => job with { Status = status, Error = error, FinishedAt = Now };

    /// <summary>What an attempt left open by its node's process being killed is closed with.</summary>
    public const string NodeStoppedError = "the node stopped while training it";

    /// <summary>
    /// The record with a new attempt on <paramref name="node"/> begun now. An attempt still open is
    /// one whose node stopped mid-training (a killed process ends nothing): it is closed now with
    /// <see cref="NodeStoppedError"/>.
    /// </summary>
    public JobRecord BeginAttempt(JobRecord job, string node)
    {
        var now = Now;
        var attempts = job.Attempts.ToList();
        if (attempts is [.., { EndedAt: null } open])
            attempts[^1] = open with { EndedAt = now, Error = NodeStoppedError };
        attempts.Add(new JobAttempt(attempts.Count + 1, node, now));
        return job with { Attempts = attempts };
    }

    /// <summary>
    /// The record with its open attempt ended now, failed with <paramref name="error"/> or, when it
    /// is null, ended well; the record itself when no attempt is open.
    /// </summary>
    public JobRecord EndAttempt(JobRecord job, string? error)
    {
        if (job.Attempts is not [.., { EndedAt: null } open]) return job;
        var attempts = job.Attempts.ToList();
        attempts[^1] = open with { EndedAt = Now, Error = error };
        return job with { Attempts = attempts };
    }
}
