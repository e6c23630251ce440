using Vae.Api.Infrastructure;
using Vae.Api.Jobs.Hangfire;
using Vae.Api.Storage;
using Vae.Api.Cluster;

namespace Vae.Api.Jobs;

/// <summary>
/// The jobs' services: records, queue, runner, gate, recovery and the default job, over an
/// <see cref="IJobScheduler"/> (Hangfire, see <see cref="HangfireScheduling"/>). The scheduler's slots
/// per node are Jobs:MaxConcurrentJobs.
/// </summary>
public static class JobScheduling
{
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(JobsOptions.Section);
        services.AddOptions<JobsOptions>().Bind(section)
            .Validate(o => o.TrainingThreads >= 1, "Jobs:TrainingThreads must be at least 1.")
            .Validate(o => o.MaxConcurrentJobs is >= 1 and <= 64, "Jobs:MaxConcurrentJobs must be between 1 and 64.")
            .Validate(o => o.MaxEpochs is >= 1 and <= 10_000, "Jobs:MaxEpochs must be between 1 and 10000.")
            .Validate(o => o.ProgressIntervalSeconds is >= 0 and <= 3600, "Jobs:ProgressIntervalSeconds must be between 0 (every batch) and 3600.")
            .Validate(o => o.EventBatchIntervalSeconds is >= 0 and <= 60, "Jobs:EventBatchIntervalSeconds must be between 0 (every batch) and 60.")
            .Validate(o => o.EventRetrySeconds is > 0 and <= 3600, "Jobs:EventRetrySeconds must be more than 0 and at most 3600.")
            .Validate(o => o.DefaultJobEpochs >= 1 && o.DefaultJobEpochs <= o.MaxEpochs, "Jobs:DefaultJobEpochs must be between 1 and Jobs:MaxEpochs.")
            .Validate(o => o.MaxAttempts is >= 1 and <= 100, "Jobs:MaxAttempts must be between 1 and 100.")
            .Validate(o => o.RetryDelaySeconds is >= 0 and <= 3600, "Jobs:RetryDelaySeconds must be between 0 and 3600.")
            .Validate(o => o.Queues is null || o.Queues.All(q => JobQueues.Known.Contains(q?.Trim().ToLowerInvariant())),
                $"Jobs:Queues takes {string.Join(" and ", JobQueues.Known)}.")
            .ValidateOnStart();
        // The worker count and retry rule are fixed when the scheduler is built; read them as configured now.
        var jobs = section.Get<JobsOptions>() ?? new JobsOptions();
        var cluster = configuration.GetSection(ClusterOptions.Section).Get<ClusterOptions>() ?? new ClusterOptions();
        double pollSeconds = Math.Clamp(cluster.JobPollSeconds, 1, 300), checkinSeconds = Math.Clamp(cluster.CheckinSeconds, 1, 300);

        services.AddSingleton<JobProgress>();
        services.AddSingleton<JobRecords>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobCheckpoints>();
        services.AddTransient<JobRunner>();
        services.AddSingleton<NodeQueues>();
        // Open in the service; a test that runs the service as a process of its own holds jobs through a folder.
        string? gateDirectory = configuration["Testing:TrainingGateDirectory"];
        services.AddSingleton<ITrainingGate>(string.IsNullOrEmpty(gateDirectory) ? OpenTrainingGate.Instance : new FileTrainingGate(gateDirectory));

        services.AddHangfireJobScheduler(new SchedulerSettings(Math.Clamp(jobs.MaxConcurrentJobs, 1, 64), pollSeconds, checkinSeconds,
            Math.Clamp(jobs.MaxAttempts, 1, 100), Math.Clamp(jobs.RetryDelaySeconds, 0, 3600), sp => sp.GetRequiredService<NodeQueues>().Names));

        services.AddHostedService<JobRecovery>();
        services.AddHostedService<DefaultJobSeeder>();
        return services;
    }
}

/// <summary>
/// At start, finds jobs the records call queued or running that the scheduler no longer has (a
/// crash between storing and scheduling, a firing that was not handed back) and schedules them
/// again: this includes the queued jobs of a state folder written before the scheduler was Hangfire.
/// Jobs the scheduler still holds, including runs handed back at shutdown, are left to it.
/// </summary>
public sealed class JobRecovery(IVaeStore store, JobQueue queue, JobRecords records, ILogger<JobRecovery> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var pending = (await store.ListJobsAsync(int.MaxValue, cancellationToken)).Where(j => !j.IsFinished).ToList();
        foreach (var job in pending)
        {
            if (await queue.IsScheduledAsync(job.Id, cancellationToken)) continue;
            if (job.CancelRequested)
            {
                await records.UpdateAsync(job.Id, r => r.IsFinished ? null : records.Finish(r, JobStatus.Cancelled), cancellationToken);
                log.LogInformation("Job {JobId} was being cancelled when the service stopped; marked cancelled", job.Id);
                continue;
            }
            await queue.ScheduleAsync(job, cancellationToken);
            log.LogInformation("Job {JobId} ({Status}, {Epochs} epochs done) was not on the scheduler; scheduled again", job.Id, job.Status, job.Epochs.Count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
