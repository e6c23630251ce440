using Microsoft.Data.Sqlite;
using Npgsql;
using Quartz;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>
/// Training jobs run on Quartz with its persistent store in the service's database, so queued and
/// interrupted jobs survive a restart. With SQLite that is the service's file; with PostgreSQL it is
/// Quartz's clustered store in the shared database: each queued job is acquired by one node, and
/// the jobs of a node that stops checking in are recovered by another. The scheduler's thread
/// count (per node) is Jobs:MaxConcurrentJobs.
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
            .Validate(o => o.DefaultJobEpochs >= 1 && o.DefaultJobEpochs <= o.MaxEpochs, "Jobs:DefaultJobEpochs must be between 1 and Jobs:MaxEpochs.")
            .ValidateOnStart();
        // The thread count is fixed when the scheduler is built; read it as configured now.
        int concurrency = Math.Clamp((section.Get<JobsOptions>() ?? new JobsOptions()).MaxConcurrentJobs, 1, 64);
        // So is the kind of store; a provider name that is neither is refused by the storage options at start.
        bool clustered = StorageExtensions.ProviderOf(configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions()) == StorageProvider.Postgres;
        var cluster = configuration.GetSection(ClusterOptions.Section).Get<ClusterOptions>() ?? new ClusterOptions();
        double pollSeconds = Math.Clamp(cluster.JobPollSeconds, 1, 300), checkinSeconds = Math.Clamp(cluster.CheckinSeconds, 1, 300);

        services.AddSingleton<JobProgress>();
        services.AddSingleton<JobRecords>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobCheckpoints>();
        services.AddTransient<TrainingJob>();
        // Open in the service; a test that runs the service as a process of its own holds jobs through a folder.
        string? gateDirectory = configuration["Testing:TrainingGateDirectory"];
        services.AddSingleton<ITrainingGate>(string.IsNullOrEmpty(gateDirectory) ? OpenTrainingGate.Instance : new FileTrainingGate(gateDirectory));

        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = "vae";
                // The nodes of a cluster share the scheduler name and need distinct instance ids: generated per process (AUTO).
                if (clustered) s.GenerateInstanceId = true;
                // A node is told at once of the jobs it queues itself, not of those queued on other nodes: it asks this often.
                if (clustered) s.IdleWaitTime = TimeSpan.FromSeconds(pollSeconds);
                // A stopping host asks running jobs to stop after their current batch; they hand their
                // firing back (see RecoverFiringsCancelledByShutdown) and resume from the checkpoint on the next start.
                s.ShutdownJobInterruption = ShutdownJobInterruption.Always;
            });
            q.UsePersistentStore(store =>
            {
                if (clustered)
                {
                    // The same pool of connections as the records and blobs. Quartz creates its tables when they are
                    // missing; nodes starting together are safe, the ones that lose the race find the winner's tables.
                    store.UsePostgres(source => source.DataSourceFactory = sp => sp.GetRequiredService<NpgsqlDataSource>());
                    // Every node checks in every few seconds; one silent for twice that is taken for dead, and the
                    // jobs it was training (they request recovery) are run again by another node.
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = TimeSpan.FromSeconds(checkinSeconds);
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(checkinSeconds);
                    });
                }
                else
                {
                    // Resolved when the scheduler is built, so the file is the one the store uses (content root and all).
                    store.UseSqlite(source => source.DataSourceFactory = sp =>
                    {
                        SqliteVaeStore.EnsureProvider();
                        return SqliteFactory.Instance.CreateDataSource(sp.GetRequiredService<StorageLocation>().ConnectionString);
                    });
                }
                store.ProvisionSchema();
                store.ConfigureStore(o =>
                {
                    o.RecoverFiringsCancelledByShutdown = true;
                    // After the database comes back from an outage, the node is acquiring jobs and checking in again within this.
                    o.DbRetryInterval = TimeSpan.FromSeconds(2);
                    // Nodes take turns acquiring (under Quartz's row lock) rather than racing for rows, which
                    // PostgreSQL sometimes settles as a deadlock to retry. Training jobs are few and long, so
                    // taking turns costs nothing noticeable.
                    if (clustered) o.AcquireTriggersWithinLock = true;
                });
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
