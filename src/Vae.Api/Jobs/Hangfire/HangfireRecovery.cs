using Hangfire;
using Hangfire.States;
using Vae.Api.Storage;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// With SQLite there is one node, so at its start nothing can be running: a background job Hangfire
/// still calls processing was cut short by a crash or a kill, and is queued again before the workers
/// start (it resumes from its checkpoint). With PostgreSQL the fetch of a dead node's job expires
/// instead, and another node takes it over.
/// </summary>
public sealed class HangfireRecovery(JobStorage storage, IBackgroundJobClient client, StorageLocation location, ILogger<HangfireRecovery> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (location.Provider != StorageProvider.Sqlite) return Task.CompletedTask;
        var processing = storage.GetMonitoringApi().ProcessingJobs(0, int.MaxValue);
        foreach (var (id, _) in processing)
        {
            // The device filter puts it back on its own queue.
            if (client.ChangeState(id, new EnqueuedState { Reason = "The node stopped while running it" }, ProcessingState.StateName))
                log.LogInformation("Background job {Id} was running when the service stopped; queued again", id);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
