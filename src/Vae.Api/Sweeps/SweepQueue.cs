using Vae.Api.Datasets;
using Vae.Api.Jobs;
using Vae.Api.Storage;

namespace Vae.Api.Sweeps;

/// <summary>
/// Queues a sweep's jobs and cancels them. A sweep holds no state of its own beyond its record:
/// its jobs run, succeed and fail as any job does, and its view is read from them.
/// </summary>
public sealed class SweepQueue(JobQueue jobs, IVaeStore store, DatasetCatalog datasets, DatasetUseLock datasetUse, TimeProvider clock, ILogger<SweepQueue> log)
{
    /// <summary>
    /// Queues one job per point, in grid order, then stores the sweep. Null, with nothing queued,
    /// when an uploaded dataset a point trains on was deleted since it was checked.
    /// </summary>
    public async Task<SweepRecord?> SubmitAsync(SweepPlan plan, CancellationToken ct)
    {
        // Uploads a point trains on cannot be deleted while the jobs are queued: all of them or none.
        var uploads = plan.Points.Select(p => p.Training.Dataset).Where(d => !d.BuiltIn).DistinctBy(d => d.Id).ToList();
        await using (uploads.Count > 0 ? await datasetUse.EnterAsync(ct) : null)
        {
            foreach (var dataset in uploads)
                if (await datasets.FindAsync(dataset.Id, ct) is null) return null;

            // The jobs go first: should the service stop half way, what is left is ordinary jobs, not a
            // sweep pointing at jobs that do not exist. Once the first is queued the rest follow even if
            // the client has gone.
            var points = new List<SweepPointRecord>(plan.Points.Count);
            foreach (var point in plan.Points)
            {
                var job = await jobs.SubmitAsync(point.Training.Request, CancellationToken.None);
                points.Add(new SweepPointRecord([.. point.Indices], job.Id));
            }
            var sweep = new SweepRecord
            {
                Id = NewId(),
                Name = plan.Name,
                CreatedAt = clock.GetUtcNow(),
                Base = plan.Base,
                Grid = plan.Grid.Axes,
                Points = points,
            };
            await store.InsertSweepAsync(sweep, CancellationToken.None);
            log.LogInformation("Sweep {SweepId} queued: {Points} jobs over {Keys}", sweep.Id, points.Count, string.Join(", ", sweep.Grid.Select(a => a.Key)));
            return sweep;
        }
    }

    /// <summary>
    /// Cancels the sweep's queued jobs, then asks its running ones to stop (queued first, so none
    /// starts in the place of one being stopped). Null when there is no such sweep; otherwise
    /// whether a running job is still stopping.
    /// </summary>
    public async Task<(SweepRecord? Sweep, bool Stopping)> CancelAsync(string id, CancellationToken ct)
    {
        var sweep = await store.GetSweepAsync(id, ct);
        if (sweep is null) return (null, false);
        var states = new List<(string JobId, JobStatus Status)>();
        foreach (var point in sweep.Points)
            if (await store.GetJobAsync(point.JobId, ct) is { IsFinished: false } job) states.Add((job.Id, job.Status));

        bool stopping = false;
        foreach (var (jobId, _) in states.OrderBy(s => s.Status == JobStatus.Queued ? 0 : 1))
        {
            // The client leaving half way must not leave half the sweep running.
            var (outcome, _) = await jobs.CancelAsync(jobId, CancellationToken.None);
            stopping |= outcome == CancelOutcome.Requested;
        }
        if (states.Count > 0) log.LogInformation("Sweep {SweepId}: {Jobs} unfinished jobs cancelled", id, states.Count);
        return (sweep, stopping);
    }

    private static string NewId() => "s" + Guid.NewGuid().ToString("N")[..12];
}
