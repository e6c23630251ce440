using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Quartz;
using Vae.Api.Cluster;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>What a cancel request did.</summary>
public enum CancelOutcome { NotFound, Cancelled, Requested, AlreadyFinished }

/// <summary>
/// Puts jobs on the scheduler and takes them off: a new job is stored as queued, then handed to
/// Quartz under its id. Also knows the jobs training in this process, so a cancel reaches the
/// running loop directly.
/// </summary>
public sealed class JobQueue(
    ISchedulerFactory schedulers, IVaeStore store, JobRecords records, IClusterEvents cluster, IOptions<ClusterOptions> clusterOptions, ILogger<JobQueue> log)
{
    public const string Group = "training";

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    public static JobKey KeyOf(string jobId) => new(jobId, Group);

    /// <summary>Stores a queued job for a validated request and schedules it to run as soon as a slot is free.</summary>
    public async Task<JobRecord> SubmitAsync(TrainingRequest request, CancellationToken ct)
    {
        var job = NewJob(request);
        await store.InsertJobAsync(job, ct);
        await ScheduleSubmittedAsync(job);
        return job;
    }

    /// <summary>As <see cref="SubmitAsync"/>, only when there is no job and no model at all; null otherwise (another node came first).</summary>
    public async Task<JobRecord?> SubmitFirstAsync(TrainingRequest request, CancellationToken ct)
    {
        var job = NewJob(request);
        if (!await store.InsertFirstJobAsync(job, ct)) return null;
        await ScheduleSubmittedAsync(job);
        return job;
    }

    private JobRecord NewJob(TrainingRequest request)
        => new() { Id = NewId(), Name = request.Name, Status = JobStatus.Queued, Request = request, CreatedAt = records.Now };

    private async Task ScheduleSubmittedAsync(JobRecord job)
    {
        var request = job.Request;
        // Once stored, the job is scheduled even if the client has gone: it was accepted.
        await ScheduleAsync(job.Id, CancellationToken.None);
        log.LogInformation("Job {JobId} queued: {Family} {Kind} on {Dataset}, {Epochs} epochs", job.Id, request.Model?.Family, request.Model?.Kind, request.Dataset, request.Epochs);
    }

    /// <summary>Schedules a stored job to run now; nothing happens when the scheduler already has it.</summary>
    public async Task ScheduleAsync(string jobId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var detail = JobBuilder.Create<TrainingJob>()
            .WithIdentity(KeyOf(jobId))
            .WithDescription("Trains the model of job " + jobId)
            .RequestRecovery() // re-run after a crash or a shutdown mid-training; the job resumes from its checkpoint
            .Build();
        var trigger = TriggerBuilder.Create().WithIdentity(jobId, Group).ForJob(detail).StartNow().Build();
        try
        {
            await scheduler.ScheduleJob(detail, trigger, cancellationToken: ct);
        }
        catch (ObjectAlreadyExistsException)
        {
            log.LogDebug("Job {JobId} is already scheduled", jobId);
        }
    }

    /// <summary>
    /// Puts a job whose firing this node cannot train back on the scheduler, to fire again after
    /// Cluster:JobPollSeconds (on whichever node acquires it then). Called from within the firing:
    /// the firing trigger is replaced under the same key, which Quartz keeps rather than deleting as
    /// the firing ends. Nothing happens when the job is no longer scheduled (it was cancelled meanwhile).
    /// </summary>
    public async Task HandBackAsync(string jobId, TriggerKey firing, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var again = TimeSpan.FromSeconds(Math.Clamp(clusterOptions.Value.JobPollSeconds, 1, 300));
        var trigger = TriggerBuilder.Create().WithIdentity(firing).ForJob(KeyOf(jobId))
            // Quartz's clock (the system's) decides when a trigger fires, so the time is taken from it too.
            .StartAt(TimeProvider.System.GetUtcNow() + again)
            .Build();
        if (await scheduler.RescheduleJob(firing, trigger, ct) is null)
            log.LogDebug("Job {JobId} was taken off the scheduler as it was handed back", jobId);
    }

    public async Task<bool> IsScheduledAsync(string jobId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        return await scheduler.Exists(KeyOf(jobId), ct);
    }

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
        var scheduler = await schedulers.GetScheduler(CancellationToken.None);
        if (before.Status == JobStatus.Queued)
        {
            try
            {
                await scheduler.DeleteJob(KeyOf(jobId), CancellationToken.None);
            }
            catch (SchedulerException e)
            {
                // Its trigger is firing right now; the training job will find the record cancelled and do nothing.
                log.LogDebug(e, "Job {JobId} was firing as it was cancelled", jobId);
            }
            log.LogInformation("Job {JobId} cancelled before it started", jobId);
            return (CancelOutcome.Cancelled, after);
        }

        if (!CancelRunning(jobId))
        {
            // Through Quartz, for a firing this process started but has not registered yet.
            try
            {
                await scheduler.Interrupt(KeyOf(jobId), CancellationToken.None);
            }
            catch (ObjectDisposedException)
            {
                // The firing ended as it was interrupted (Quartz had disposed of its token): nothing left to stop.
            }
        }
        // A job training on another node: that node is told now, and would see the request in the
        // record at its next progress write (Jobs:ProgressIntervalSeconds) if the message were lost.
        await cluster.PublishAsync(ClusterEvent.JobCancelType, jobId, CancellationToken.None);
        log.LogInformation("Job {JobId}: cancel requested", jobId);
        return (CancelOutcome.Requested, after);
    }

    /// <summary>
    /// Queues a failed job again (record before and after; both null when there is no such job, and
    /// the record unchanged when it has not failed). The run resumes from the checkpoint the job kept, if any.
    /// </summary>
    public async Task<(JobRecord? Before, JobRecord? After)> ResumeAsync(string jobId, CancellationToken ct)
    {
        var (before, after) = await records.UpdateAsync(jobId, job => job.Status != JobStatus.Failed ? null
            : job with { Status = JobStatus.Queued, Error = null, FinishedAt = null, CancelRequested = false, Progress = null, Node = null, Device = null, Waiting = null }, ct);
        if (before is { Status: JobStatus.Failed })
        {
            await ScheduleAsync(jobId, CancellationToken.None);
            log.LogInformation("Job {JobId} resumed after {Epochs} recorded epochs", jobId, before.Epochs.Count);
        }
        return (before, after);
    }

    /// <summary>Stops the job's training loop after its current batch, when it trains in this process; false when it does not.</summary>
    public bool CancelRunning(string jobId)
    {
        if (!_running.TryGetValue(jobId, out var cancel)) return false;
        // Interrupting Quartz's firing as well would race the run's end: a run stopped here ends its firing itself.
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
