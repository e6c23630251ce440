using System.ComponentModel;
using Hangfire;
using Hangfire.Server;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// Hangfire's background job for a training job: the job's id and name are its arguments (so the
/// dashboard shows them), and each run goes to <see cref="JobRunner"/> with Hangfire's attempt number.
/// </summary>
public sealed class HangfireTrainingJob(JobRunner runner)
{
    [JobDisplayName("Train job {0} ({1})")]
    [DisplayName("Train job")]
    public async Task RunAsync(string jobId, string? name, PerformContext? context, CancellationToken cancellationToken)
    {
        int retries = context?.GetJobParameter<int>("RetryCount") ?? 0;
        await runner.RunAsync(new JobRun(jobId, Recovering: retries > 0, context?.BackgroundJob.Id) { Attempt = retries + 1 }, cancellationToken);
    }
}
