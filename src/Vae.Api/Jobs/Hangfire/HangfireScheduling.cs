using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage.SQLite;
using Npgsql;
using Vae.Api.Cluster;
using Vae.Api.Storage;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// Hangfire as the job scheduler. With SQLite its storage is a file of its own in the state folder
/// (jobs.db), so queued and interrupted jobs survive a restart; with PostgreSQL it is Hangfire's
/// schema in the shared database, where every node is a Hangfire server: a queued job goes to the
/// first node with a free slot (woken at once by a notification), and the job of a node that stops
/// is taken over by another once its fetch is no longer kept alive (Cluster:CheckinSeconds x 4).
/// Every part (storage, filters, activator, client, server) belongs to this host's container rather
/// than to Hangfire's global configuration, so several hosts in one process (the cluster tests) stay
/// apart: each runs its jobs with its own services.
/// </summary>
public static class HangfireScheduling
{
    /// <summary>The storage file's name in the state folder, with SQLite.</summary>
    public const string SqliteFile = "jobs.db";

    public static IServiceCollection AddHangfireJobScheduler(this IServiceCollection services, SchedulerSettings settings)
    {
        // Process-wide and the same for every host: how job arguments are written.
        GlobalConfiguration.Configuration.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();

        services.AddSingleton<JobStorage>(sp => CreateStorage(sp, settings));
        services.AddSingleton<IJobFilterProvider>(sp => new JobFilterProviderCollection(Filters(settings, sp), new JobFilterAttributeFilterProvider()));
        services.AddSingleton<JobActivator>(sp => new ServiceActivator(sp));
        services.AddSingleton<IBackgroundJobFactory>(sp => new BackgroundJobFactory(sp.GetRequiredService<IJobFilterProvider>()));
        services.AddSingleton<IBackgroundJobStateChanger>(sp => new BackgroundJobStateChanger(sp.GetRequiredService<IJobFilterProvider>()));
        services.AddSingleton<IBackgroundJobPerformer>(sp => new BackgroundJobPerformer(sp.GetRequiredService<IJobFilterProvider>(), sp.GetRequiredService<JobActivator>()));
        services.AddSingleton<IBackgroundJobClient>(sp => new BackgroundJobClient(
            sp.GetRequiredService<JobStorage>(), sp.GetRequiredService<IBackgroundJobFactory>(), sp.GetRequiredService<IBackgroundJobStateChanger>()));
        // The dashboard's pages; the dashboard also checks that Hangfire's configuration is registered.
        services.AddSingleton(DashboardRoutes.Routes);
        services.AddSingleton<IGlobalConfiguration>(GlobalConfiguration.Configuration);
        services.AddSingleton<IJobScheduler, HangfireJobScheduler>();
        services.AddTransient<HangfireTrainingJob>();
        services.AddSingleton(settings);
        services.AddHostedService<HangfireServer>();
        return services;
    }

    private static JobFilterCollection Filters(SchedulerSettings settings, IServiceProvider services)
    {
        var filters = new JobFilterCollection();
        // The runner retries what is worth retrying by throwing; everything else it ends itself.
        filters.Add(new AutomaticRetryAttribute
        {
            Attempts = settings.MaxAttempts - 1,
            DelayInSecondsByAttemptFunc = attempt => (int)Math.Min(3600, settings.RetryDelaySeconds * Math.Pow(4, attempt)),
            OnAttemptsExceeded = AttemptsExceededAction.Fail,
            LogEvents = true,
        });
        filters.Add(new DeviceQueueFilter());
        filters.Add(new CancelOnDeleteFilter(services));
        // The dashboard's history of succeeded and failed jobs.
        filters.Add(new StatisticsHistoryAttribute());
        return filters;
    }

    private static JobStorage CreateStorage(IServiceProvider sp, SchedulerSettings settings)
    {
        var location = sp.GetRequiredService<StorageLocation>();
        if (location.Provider == StorageProvider.Postgres)
        {
            return new PostgreSqlStorage(new DataSourceConnections(sp.GetRequiredService<NpgsqlDataSource>()), new PostgreSqlStorageOptions
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
        return new SQLiteStorage(Path.Combine(location.Directory, SqliteFile), new SQLiteStorageOptions
        {
            // A job queued on this node starts within this of a free slot.
            QueuePollInterval = TimeSpan.FromMilliseconds(250),
            // One node: a job it was running when it died is queued again at its next start
            // (HangfireServer), so the fetch never needs to expire while a long job trains.
            InvisibilityTimeout = TimeSpan.FromDays(30),
        });
    }

    /// <summary>Hangfire's PostgreSQL connections from the service's own pool.</summary>
    private sealed class DataSourceConnections(NpgsqlDataSource source) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => source.CreateConnection();
    }

    /// <summary>Jobs made from this host's container, each run in a scope of its own.</summary>
    private sealed class ServiceActivator(IServiceProvider services) : JobActivator
    {
        public override object ActivateJob(Type jobType) => ActivatorUtilities.GetServiceOrCreateInstance(services, jobType);

        public override JobActivatorScope BeginScope(JobActivatorContext context) => new Scope(services.CreateScope());

        private sealed class Scope(IServiceScope scope) : JobActivatorScope
        {
            public override object Resolve(Type type) => ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, type);

            public override void DisposeScope() => scope.Dispose();
        }
    }
}

/// <summary>What the scheduler is built with, read from configuration once at start.</summary>
public sealed record SchedulerSettings(int Concurrency, double PollSeconds, double CheckinSeconds, int MaxAttempts, double RetryDelaySeconds,
    Func<IServiceProvider, IReadOnlyList<string>> Queues);
