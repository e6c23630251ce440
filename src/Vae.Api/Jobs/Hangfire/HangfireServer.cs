using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Hangfire.States;
using Vae.Api.Cluster;
using Vae.Api.Storage;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// This node's Hangfire server: its workers (Jobs:MaxConcurrentJobs) take training jobs from the
/// queues the node serves. With SQLite there is one node, so at its start nothing can be running: a
/// background job Hangfire still calls processing was cut short by a crash or a kill, and is queued
/// again before the workers start (it resumes from its checkpoint). With PostgreSQL the fetch of a
/// dead node's job expires instead, and another node takes it over.
/// </summary>
public sealed class HangfireServer(IServiceProvider services, SchedulerSettings settings, ILoggerFactory loggers, ILogger<HangfireServer> log) : IHostedService
{
    private BackgroundJobServer? _server;
    private IDisposable? _logging;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _logging = HangfireLogging.Attach(loggers);
        var storage = services.GetRequiredService<JobStorage>();
        if (services.GetRequiredService<StorageLocation>().Provider == StorageProvider.Sqlite) RequeueInterrupted(storage);
        var options = new BackgroundJobServerOptions
        {
            ServerName = services.GetRequiredService<NodeIdentity>().Id,
            WorkerCount = settings.Concurrency,
            Queues = [.. settings.Queues(services)],
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
            ServerCheckInterval = TimeSpan.FromSeconds(settings.CheckinSeconds),
            HeartbeatInterval = TimeSpan.FromSeconds(settings.CheckinSeconds),
            // A node silent this long is dropped from the list of servers, and its queues with it.
            ServerTimeout = TimeSpan.FromSeconds(settings.CheckinSeconds * 4),
            // Running jobs stop after their current batch and hand themselves back: plenty of time.
            ShutdownTimeout = TimeSpan.FromSeconds(60),
        };
        // The one constructor that takes this host's own services instead of Hangfire's global ones (it
        // is marked for removal in Hangfire 2.0, which will take them another way).
#pragma warning disable CS0618
        _server = new BackgroundJobServer(options, storage, [], services.GetRequiredService<IJobFilterProvider>(), services.GetRequiredService<JobActivator>(),
            services.GetRequiredService<IBackgroundJobFactory>(), services.GetRequiredService<IBackgroundJobPerformer>(), services.GetRequiredService<IBackgroundJobStateChanger>());
#pragma warning restore CS0618
        return Task.CompletedTask;
    }

    private void RequeueInterrupted(JobStorage storage)
    {
        var client = services.GetRequiredService<IBackgroundJobClient>();
        foreach (var (id, _) in storage.GetMonitoringApi().ProcessingJobs(0, int.MaxValue))
        {
            // The device filter puts it back on its own queue.
            if (client.ChangeState(id, new EnqueuedState { Reason = "The node stopped while running it" }, ProcessingState.StateName))
                log.LogInformation("Background job {Id} was running when the service stopped; queued again", id);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The first stop owns the server; a stop that comes while it runs, or after it, has nothing to do.
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            // Running jobs see their token cancelled, stop after their batch and go back to the queue.
            server.SendStop();
            try
            {
                await server.WaitForShutdownAsync(cancellationToken);
            }
            catch (ObjectDisposedException)
            {
                // Hangfire disposes a dispatcher's wait handle once the dispatcher has stopped; a wait
                // that starts just after that finds the handle gone. The server stopped either way.
                log.LogDebug("The Hangfire server had stopped before its shutdown was waited for");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The host's shutdown timeout ran out first: its dispatchers were still waiting, e.g. for a
                // database that went away. Stopping goes on; a job still marked as running is taken up
                // again once its fetch expires (PostgreSQL) or at the next start (SQLite).
                log.LogWarning("The Hangfire server had not stopped when the host's shutdown timeout ran out; the node stops without waiting for it");
            }
            server.Dispose();
        }
        Interlocked.Exchange(ref _logging, null)?.Dispose();
    }
}
