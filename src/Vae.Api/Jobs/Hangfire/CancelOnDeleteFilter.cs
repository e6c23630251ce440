using Hangfire.States;
using Hangfire.Storage;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// A training job deleted in Hangfire's dashboard is cancelled in the service too, so its record never
/// stays queued or running for a job the scheduler no longer holds. The record is updated off the
/// state change's thread: the change holds the job's lock, and the cancel may wait for the database.
/// </summary>
public sealed class CancelOnDeleteFilter(IServiceProvider services) : IApplyStateFilter
{
    public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
        if (context.NewState is not DeletedState) return;
        if (context.BackgroundJob.Job is not { Type: var type, Args: [string jobId, ..] } || type != typeof(HangfireTrainingJob)) return;
        var queue = services.GetRequiredService<JobQueue>();
        var log = services.GetRequiredService<ILogger<CancelOnDeleteFilter>>();
        _ = Task.Run(async () =>
        {
            try
            {
                await queue.CancelledBySchedulerAsync(jobId, CancellationToken.None);
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Job {JobId} was deleted from the scheduler but its record could not be marked cancelled", jobId);
            }
        });
    }

    public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
    }
}
