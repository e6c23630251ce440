using Vae.Api.Cluster;

namespace Vae.Api.Jobs;

/// <summary>Stops a job this node trains when another node was asked to cancel it (the job record says so too, read at the next progress write).</summary>
public sealed class JobCancelHandler(JobQueue queue) : IClusterEventHandler
{
    public IReadOnlyCollection<string> Types { get; } = [ClusterEvent.JobCancelType];

    public Task HandleAsync(ClusterEvent e, CancellationToken ct)
    {
        queue.CancelRunning(e.Id);
        return Task.CompletedTask;
    }
}
