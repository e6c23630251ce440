using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Vae.Api.Cluster;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>What a cancel request did (and, for DELETE /api/jobs/{id}, whether it deleted an ended job's record).</summary>
public enum CancelOutcome { NotFound, Cancelled, Requested, AlreadyFinished, Deleted }

/// <summary>
/// Puts jobs on the scheduler and takes them off: a new job is stored as queued, then handed to
/// the <see cref="IJobScheduler"/> under its id. Also knows the jobs training in this process, so a
/// cancel reaches the running loop directly.
/// </summary>
public sealed class JobQueue(
    IJobScheduler scheduler, IVaeStore store, JobRecords records, JobCheckpoints checkpoints, IClusterEvents cluster, IOptions<ClusterOptions> clusterOptions,
    ILogger<JobQueue> log)
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    /// <summary>Stores a queued job for a validated request and schedules it to run as soon as a slot is free.</summary>
    public async Task<JobRecord> SubmitAsync(TrainingRequest request, CancellationToken ct)
    {
        var job = await WithWaitingReasonAsync(NewJob(request), ct);
        await store.InsertJobAsync(job, ct);
        await ScheduleSubmittedAsync(job);
        return job;
    }

    /// <summary>
    /// As <see cref="SubmitAsync"/>, only when there is no job and no model at all; null otherwise (another
    /// node came first). With <paramref name="alias"/>, that alias is set, in the same step, to the
    /// model the job will publish.
    /// </summary>
    public async Task<JobRecord?> SubmitFirstAsync(TrainingRequest request, string? alias, CancellationToken ct)
    {
        var job = await WithWaitingReasonAsync(NewJob(request), ct);
        var aliasRecord = alias is null ? null : new AliasRecord(alias, Models.ModelStore.IdForJob(job.Id), job.CreatedAt);
        if (!await store.InsertFirstJobAsync(job, aliasRecord, ct)) return null;
        await ScheduleSubmittedAsync(job);
        return job;
    }

    /// <summary>
    /// A job whose queue no running node serves says so from the start (a GPU job with no GPU node up);
    /// the node that starts it clears the reason.
    /// </summary>
    private async Task<JobRecord> WithWaitingReasonAsync(JobRecord job, CancellationToken ct)
    {
        string queue = JobQueues.For(job.Request.Device);
        var served = await scheduler.ServedQueuesAsync(ct);
        return served.Contains(queue) ? job : job with { Waiting = JobQueues.WaitingReason(queue, served) };
    }

    private JobRecord NewJob(TrainingRequest request)
        => new() { Id = NewId(), Name = request.Name, Status = JobStatus.Queued, Request = request, CreatedAt = records.Now };

    private async Task ScheduleSubmittedAsync(JobRecord job)
    {
        var request = job.Request;
        // Once stored, the job is scheduled even if the client has gone: it was accepted.
        await ScheduleAsync(job, CancellationToken.None);
        log.LogInformation("Job {JobId} queued: {Family} {Kind} on {Dataset}, {Epochs} epochs", job.Id, request.Model?.Family, request.Model?.Kind, request.Dataset, request.Epochs);
    }

    /// <summary>Schedules a stored job to run now on its device's queue; nothing happens when the scheduler already has it.</summary>
    public Task ScheduleAsync(JobRecord job, CancellationToken ct) => scheduler.EnqueueAsync(job.Id, job.Name, JobQueues.For(job.Request.Device), ct);

    /// <summary>
    /// Puts a job whose run this node cannot train back on the scheduler, to run again after
    /// Cluster:JobPollSeconds (on whichever node takes it then).
    /// </summary>
    public Task HandBackAsync(JobRun run, CancellationToken ct)
        => scheduler.RetryLaterAsync(run, TimeSpan.FromSeconds(Math.Clamp(clusterOptions.Value.JobPollSeconds, 1, 300)), ct);

    public Task<bool> IsScheduledAsync(string jobId, CancellationToken ct) => scheduler.IsScheduledAsync(jobId, ct);

    /// <summary>
    /// A queued job is cancelled at once and taken off the scheduler; a running one is asked to stop
    /// (it ends as cancelled after its current batch); a finished one is left alone.
    /// </summary>
    public async Task<(CancelOutcome Outcome, JobRecord? Job)> CancelAsync(string jobId, CancellationToken ct)
    {
        var (before, after) = await records.UpdateAsync(jobId, job => job.Status switch
        {
            JobStatus.Queued => records.Finish(job, JobStatus.Cancelled) with { CancelRequested = true },
            JobStatus.Running => job with { CancelRequested = true },
            _ => null,
        }, ct);
        if (before is null || after is null) return (CancelOutcome.NotFound, null);
        if (before.IsFinished) return (CancelOutcome.AlreadyFinished, after);

        // The record now says cancelled (or cancel requested): the rest must happen even if the client leaves.
        if (before.Status == JobStatus.Queued)
        {
            await scheduler.RemoveAsync(jobId, CancellationToken.None);
            log.LogInformation("Job {JobId} cancelled before it started", jobId);
            return (CancelOutcome.Cancelled, after);
        }

        // Through the scheduler, for a run this process started but has not registered yet.
        if (!CancelRunning(jobId)) await scheduler.InterruptAsync(jobId, CancellationToken.None);
        // A job training on another node: that node is told now, and would see the request in the
        // record at its next progress write (Jobs:ProgressIntervalSeconds) if the message were lost.
        await cluster.PublishAsync(ClusterEvent.JobCancelType, jobId, CancellationToken.None);
        log.LogInformation("Job {JobId}: cancel requested", jobId);
        return (CancelOutcome.Requested, after);
    }

    /// <summary>
    /// What DELETE /api/jobs/{id} does: a queued or running job is cancelled (see <see cref="CancelAsync"/>);
    /// an ended one loses its record and its checkpoint, never its model. The record goes only as it
    /// was read: a job resumed meanwhile is cancelled instead, as a job in progress is.
    /// </summary>
    public async Task<(CancelOutcome Outcome, JobRecord? Job)> CancelOrDeleteAsync(string jobId, CancellationToken ct)
    {
        for (int attempt = 1; attempt <= JobRecords.MaxAttempts; attempt++)
        {
            var (outcome, job) = await CancelAsync(jobId, ct);
            if (outcome != CancelOutcome.AlreadyFinished) return (outcome, job);
            if (!await store.DeleteJobAsync(jobId, job!.Version, ct)) continue;
            // The record is gone: the rest happens even if the client leaves.
            await checkpoints.DeleteAsync(jobId);
            log.LogInformation("Job {JobId} ({Status}) deleted; its model, if it made one, stays", jobId, job.Status);
            return (CancelOutcome.Deleted, job);
        }
        throw new InvalidOperationException($"Job '{jobId}' changed under every one of {JobRecords.MaxAttempts} attempts to delete it; try again.");
    }

    /// <summary>Whether a job that ended this way can be resumed: it stopped before its end, and kept its checkpoint.</summary>
    public static bool IsResumable(JobStatus status) => status is JobStatus.Failed or JobStatus.Cancelled;

    /// <summary>
    /// Queues a failed or cancelled job again (record before and after; both null when there is no
    /// such job, and the record unchanged when it cannot be resumed). The run resumes from the
    /// checkpoint the job kept, if any.
    /// </summary>
    public async Task<(JobRecord? Before, JobRecord? After)> ResumeAsync(string jobId, CancellationToken ct)
    {
        var (before, after) = await records.UpdateAsync(jobId, job => !IsResumable(job.Status) ? null
            : job with { Status = JobStatus.Queued, Error = null, FinishedAt = null, CancelRequested = false, Progress = null, Node = null, Device = null, Waiting = null }, ct);
        if (before is not null && IsResumable(before.Status))
        {
            await ScheduleAsync(after!, CancellationToken.None);
            log.LogInformation("Job {JobId} resumed after {Epochs} recorded epochs", jobId, before.Epochs.Count);
        }
        return (before, after);
    }

    /// <summary>
    /// Records a cancel that came through the scheduler itself (its dashboard deleted the job): a queued
    /// job ends cancelled, a running one is asked to stop, as with DELETE /api/jobs/{id}. The scheduler
    /// already let go of the job, so it is not asked again.
    /// </summary>
    public async Task CancelledBySchedulerAsync(string jobId, CancellationToken ct)
    {
        var (before, after) = await records.UpdateAsync(jobId, job => job.Status switch
        {
            JobStatus.Queued => records.Finish(job, JobStatus.Cancelled) with { CancelRequested = true },
            JobStatus.Running when !job.CancelRequested => job with { CancelRequested = true },
            _ => null,
        }, ct);
        if (before is null || after is null || before.IsFinished) return;
        if (before.Status == JobStatus.Running && !CancelRunning(jobId))
            await cluster.PublishAsync(ClusterEvent.JobCancelType, jobId, CancellationToken.None);
        log.LogInformation("Job {JobId} was deleted from the job dashboard; cancelled", jobId);
    }

    /// <summary>Stops the job's training loop after its current batch, when it trains in this process; false when it does not.</summary>
    public bool CancelRunning(string jobId)
    {
        if (!_running.TryGetValue(jobId, out var cancel)) return false;
        // Interrupting the scheduler's run as well would race the run's end: a run stopped here ends itself.
        cancel.Cancel();
        return true;
    }

    /// <summary>Whether the job's training loop runs in this process now.</summary>
    public bool IsRunningHere(string jobId) => _running.ContainsKey(jobId);

    /// <summary>Registers a job as training here; null when it already is (a duplicate firing).</summary>
    internal CancellationTokenSource? BeginRun(string jobId)
    {
        var cancel = new CancellationTokenSource();
        return _running.TryAdd(jobId, cancel) ? cancel : null;
    }

    // The source is not disposed: a cancel racing with the end of the run may still call Cancel on it,
    // and a source without timers holds nothing that needs releasing.
    internal void EndRun(string jobId) => _running.TryRemove(jobId, out _);

    private static string NewId() => "j" + Guid.NewGuid().ToString("N")[..12];
}
