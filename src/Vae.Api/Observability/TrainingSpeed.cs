using System.Collections.Concurrent;
using Vae.Api.Jobs;
using Vae.Api.Storage;

namespace Vae.Api.Observability;

/// <summary>
/// The training speed of this node: the images per second of the last batch of each job training
/// here, as its progress events say. A job leaves once a status says it no longer runs, or once it has
/// been quiet for <see cref="Quiet"/> (evaluating after its last epoch, or gone with its node).
/// </summary>
public sealed class TrainingSpeed
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (double Rate, long At)> _jobs = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;

    public TrainingSpeed(JobProgress progress, TimeProvider clock)
    {
        _clock = clock;
        // Published carries the events of jobs trained on this node only, which is what this counts.
        progress.Published += OnEvent;
    }

    /// <summary>Images per second of the jobs training here now, summed.</summary>
    public double ImagesPerSecond
    {
        get
        {
            double sum = 0;
            foreach (var (job, (rate, at)) in _jobs)
            {
                if (_clock.GetElapsedTime(at) < Quiet) sum += rate;
                else _jobs.TryRemove(job, out _);
            }
            return sum;
        }
    }

    private void OnEvent(string jobId, JobEvent e)
    {
        if (e.Data is BatchProgressView { ImagesPerSecond: { } rate }) _jobs[jobId] = (rate, _clock.GetTimestamp());
        else if (e.Data is JobView { Status: not JobStatus.Running }) _jobs.TryRemove(jobId, out _);
    }
}
