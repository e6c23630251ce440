using Quartz;

namespace Vae.Api.Jobs.Quartz;

/// <summary>
/// <see cref="IJobScheduler"/> on Quartz: each job is a durable Quartz job under its id in the
/// "training" group with one trigger, run by <see cref="QuartzTrainingJob"/>; the store is the
/// service's database (clustered on PostgreSQL), so queued and interrupted jobs survive a restart.
/// </summary>
public sealed class QuartzJobScheduler(ISchedulerFactory schedulers, ILogger<QuartzJobScheduler> log) : IJobScheduler
{
    public const string Group = "training";

    public static JobKey KeyOf(string jobId) => new(jobId, Group);

    public async Task EnqueueAsync(string jobId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var detail = JobBuilder.Create<QuartzTrainingJob>()
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
    /// The firing trigger is replaced under the same key, which Quartz keeps rather than deleting as
    /// the firing ends.
    /// </summary>
    public async Task RetryLaterAsync(JobRun run, TimeSpan delay, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var firing = run.Handle as TriggerKey ?? new TriggerKey(run.JobId, Group);
        var trigger = TriggerBuilder.Create().WithIdentity(firing).ForJob(KeyOf(run.JobId))
            // Quartz's clock (the system's) decides when a trigger fires, so the time is taken from it too.
            .StartAt(TimeProvider.System.GetUtcNow() + delay)
            .Build();
        if (await scheduler.RescheduleJob(firing, trigger, ct) is null)
            log.LogDebug("Job {JobId} was taken off the scheduler as it was handed back", run.JobId);
    }

    public async Task<bool> IsScheduledAsync(string jobId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        return await scheduler.Exists(KeyOf(jobId), ct);
    }

    public async Task RemoveAsync(string jobId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        try
        {
            await scheduler.DeleteJob(KeyOf(jobId), ct);
        }
        catch (SchedulerException e)
        {
            // Its trigger is firing right now; the run will find the record cancelled and do nothing.
            log.LogDebug(e, "Job {JobId} was firing as it was cancelled", jobId);
        }
    }

    public async Task InterruptAsync(string jobId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        try
        {
            await scheduler.Interrupt(KeyOf(jobId), ct);
        }
        catch (ObjectDisposedException)
        {
            // The firing ended as it was interrupted (Quartz had disposed of its token): nothing left to stop.
        }
    }

    public async Task<string?> ProblemAsync(CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var status = await scheduler.GetStatus(ct);
        return status == SchedulerStatus.Running ? null : $"the job scheduler is {status.ToString().ToLowerInvariant()}, not running";
    }
}
