using System.Text.Json;
using Vae.Api.Cluster;

namespace Vae.Api.Jobs;

/// <summary>
/// Passes another node's job progress (batches, epochs, changes of status) to this node's listeners
/// of that job, so a job's event stream can be followed on any node.
/// </summary>
public sealed class JobProgressHandler(JobProgress progress, JobRecords records, ILogger<JobProgressHandler> log) : IClusterEventHandler
{
    public IReadOnlyCollection<string> Types { get; } = [ClusterEvent.JobBatchType, ClusterEvent.JobEpochType, ClusterEvent.JobStatusType];

    public Task HandleAsync(ClusterEvent e, CancellationToken ct)
    {
        // Only jobs somebody follows here are of interest; the rest is dropped unread.
        if (progress.ListenerCount(e.Id) == 0) return Task.CompletedTask;
        if (e.Type == ClusterEvent.JobStatusType) return DeliverStatusAsync(e.Id, ct);
        try
        {
            if (ProgressRelay.ToJobEvent(e) is { } view) progress.Deliver(e.Id, view);
        }
        catch (JsonException ex)
        {
            log.LogWarning(ex, "Progress of job {JobId} from node {Node} could not be read", e.Id, e.Node);
        }
        return Task.CompletedTask;
    }

    /// <summary>Reads the job's record (the status event only names the job) and passes it to this node's listeners.</summary>
    private async Task DeliverStatusAsync(string jobId, CancellationToken ct)
    {
        try
        {
            if (await records.GetAsync(jobId, ct) is { } job)
                progress.Deliver(jobId, JobEvent.Status(job.AsView(records.Now), job.Version));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The stream re-reads its job now and then, so it still learns how the job ended.
            log.LogWarning(ex, "The status of job {JobId} could not be read for its listeners", jobId);
        }
    }
}
