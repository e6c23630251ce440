using Quartz;

namespace Vae.Api.Jobs.Quartz;

/// <summary>Quartz's job for a training job (its key is the job id): hands each firing to <see cref="JobRunner"/>.</summary>
public sealed class QuartzTrainingJob(JobRunner runner) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
        => await runner.RunAsync(new JobRun(context.JobDetail.Key.Name, context.Recovering, context.Trigger.Key), cancellationToken);
}
