using Microsoft.Data.Sqlite;
using Quartz;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>
/// Training jobs run on Quartz with its persistent store in the service's SQLite file, so queued
/// and interrupted jobs survive a restart. The scheduler's thread count is Jobs:MaxConcurrentJobs.
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
            .Validate(o => o.ProgressIntervalSeconds is > 0 and <= 3600, "Jobs:ProgressIntervalSeconds must be above 0 and at most 3600.")
            .Validate(o => o.DefaultJobEpochs >= 1 && o.DefaultJobEpochs <= o.MaxEpochs, "Jobs:DefaultJobEpochs must be between 1 and Jobs:MaxEpochs.")
            .ValidateOnStart();
        // The thread count is fixed when the scheduler is built; read it as configured now.
        int concurrency = Math.Clamp((section.Get<JobsOptions>() ?? new JobsOptions()).MaxConcurrentJobs, 1, 64);

        services.AddSingleton<JobProgress>();
        services.AddSingleton<JobRecords>();
        services.AddSingleton<JobQueue>();
        services.AddTransient<TrainingJob>();

        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = "vae";
                // A stopping host asks running jobs to stop after their current batch; they hand their
                // firing back (see RecoverFiringsCancelledByShutdown) and resume from the checkpoint on the next start.
                s.ShutdownJobInterruption = ShutdownJobInterruption.Always;
            });
            q.UsePersistentStore(store =>
            {
                // Resolved when the scheduler is built, so the file is the one the store uses (content root and all).
                store.UseSqlite(source => source.DataSourceFactory = sp =>
                {
                    SqliteVaeStore.EnsureProvider();
                    return SqliteFactory.Instance.CreateDataSource(sp.GetRequiredService<StorageLocation>().ConnectionString);
                });
                store.ProvisionSchema();
                store.ConfigureStore(o => o.RecoverFiringsCancelledByShutdown = true);
            });
            q.UseDefaultThreadPool(pool => pool.MaxConcurrency = concurrency);
        });
        // Waiting is short: interrupted jobs stop within one batch. Not waiting would leave a training
        // loop writing to the state folder after the host is gone.
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);

        services.AddHostedService<JobRecovery>();
        services.AddHostedService<DefaultJobSeeder>();
        return services;
    }
}

/// <summary>
/// At start, finds jobs the records call queued or running that the scheduler no longer has (a
/// crash between storing and scheduling, a firing that was not handed back) and schedules them
/// again. Jobs Quartz still holds, including firings handed back at shutdown, are left to Quartz.
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
            await queue.ScheduleAsync(job.Id, cancellationToken);
            log.LogInformation("Job {JobId} ({Status}, {Epochs} epochs done) was not on the scheduler; scheduled again", job.Id, job.Status, job.Epochs.Count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
