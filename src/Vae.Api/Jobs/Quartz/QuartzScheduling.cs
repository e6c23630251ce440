using Microsoft.Data.Sqlite;
using Npgsql;
using Quartz;
using Vae.Api.Storage;

namespace Vae.Api.Jobs.Quartz;

/// <summary>
/// Quartz with its persistent store in the service's database, so queued and interrupted jobs
/// survive a restart. With SQLite that is the service's file; with PostgreSQL it is Quartz's
/// clustered store in the shared database: each queued job is acquired by one node, and the jobs of
/// a node that stops checking in are recovered by another.
/// </summary>
public static class QuartzScheduling
{
    public static IServiceCollection AddQuartzJobScheduler(this IServiceCollection services, int concurrency, bool clustered, double pollSeconds, double checkinSeconds)
    {
        services.AddSingleton<IJobScheduler, QuartzJobScheduler>();
        services.AddTransient<QuartzTrainingJob>();
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
        return services;
    }
}
