using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using Npgsql;
using Vae.Api.Cluster;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// Hangfire as the job scheduler. With SQLite its storage is a file of its own in the state folder
/// (jobs.db), so queued and interrupted jobs survive a restart; with PostgreSQL it is Hangfire's
/// schema in the shared database, where every node is a Hangfire server: a queued job goes to the
/// first node with a free slot (woken at once by a notification), and the job of a node that stops
/// is taken over by another once its fetch is no longer kept alive (Cluster:CheckinSeconds x 4).
/// </summary>
public static class HangfireScheduling
{
    /// <summary>The storage file's name in the state folder, with SQLite.</summary>
    public const string SqliteFile = "jobs.db";

    public static IServiceCollection AddHangfireJobScheduler(this IServiceCollection services, SchedulerSettings settings)
    {
        services.AddSingleton<IJobScheduler, HangfireJobScheduler>();
        services.AddTransient<HangfireTrainingJob>();
        services.AddHangfire((sp, config) =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseFilter(new DeviceQueueFilter())
                .UseFilter(new AutomaticRetryAttribute
                {
                    // The runner retries what is worth retrying by throwing; everything else it ends itself.
                    Attempts = settings.MaxAttempts - 1,
                    DelayInSecondsByAttemptFunc = attempt => (int)Math.Min(3600, settings.RetryDelaySeconds * Math.Pow(4, attempt)),
                    OnAttemptsExceeded = AttemptsExceededAction.Fail,
                    LogEvents = true,
                });
            var location = sp.GetRequiredService<StorageLocation>();
            if (location.Provider == StorageProvider.Postgres)
            {
                var source = sp.GetRequiredService<NpgsqlDataSource>();
                config.UsePostgreSqlStorage(b => b.UseConnectionFactory(new DataSourceConnections(source)), new PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                    // Idle nodes are woken by a notification when a job is queued; the poll is the fallback.
                    EnableLongPolling = true,
                    QueuePollInterval = TimeSpan.FromSeconds(settings.PollSeconds),
                    // A running job's fetch is renewed every CheckinSeconds x 4 / 5; a node that stops renewing
                    // (killed) loses it after CheckinSeconds x 4, and another node resumes the job from its checkpoint.
                    UseSlidingInvisibilityTimeout = true,
                    InvisibilityTimeout = TimeSpan.FromSeconds(settings.CheckinSeconds * 4),
                    DistributedLockTimeout = TimeSpan.FromSeconds(30),
                });
            }
            else
            {
                config.UseSQLiteStorage(Path.Combine(location.Directory, SqliteFile), new SQLiteStorageOptions
                {
                    // A job queued on this node starts within this of a free slot.
                    QueuePollInterval = TimeSpan.FromMilliseconds(250),
                    // One node: a job it was running when it died is queued again at its next start
                    // (HangfireRecovery), so the fetch never needs to expire while a long job trains.
                    InvisibilityTimeout = TimeSpan.FromDays(30),
                });
            }
        });
        // Before the server, so a job interrupted by a crash is queued again before workers look for work.
        services.AddHostedService<HangfireRecovery>();
        services.AddHangfireServer((sp, server) =>
        {
            server.ServerName = sp.GetRequiredService<NodeIdentity>().Id;
            server.WorkerCount = settings.Concurrency;
            server.Queues = [.. settings.Queues(sp)];
            server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            server.ServerCheckInterval = TimeSpan.FromSeconds(settings.CheckinSeconds);
            server.HeartbeatInterval = TimeSpan.FromSeconds(settings.CheckinSeconds);
            // A node silent this long is dropped from the list of servers, and its queues with it.
            server.ServerTimeout = TimeSpan.FromSeconds(settings.CheckinSeconds * 4);
            // Running jobs stop after their current batch and hand themselves back: plenty of time.
            server.ShutdownTimeout = TimeSpan.FromSeconds(60);
        });
        return services;
    }

    /// <summary>Hangfire's PostgreSQL connections from the service's own pool.</summary>
    private sealed class DataSourceConnections(NpgsqlDataSource source) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => source.CreateConnection();
    }
}

/// <summary>What the scheduler is built with, read from configuration once at start.</summary>
public sealed record SchedulerSettings(int Concurrency, double PollSeconds, double CheckinSeconds, int MaxAttempts, double RetryDelaySeconds,
    Func<IServiceProvider, IReadOnlyList<string>> Queues);
