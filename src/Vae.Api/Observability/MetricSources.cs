using Vae.Api.Jobs;
using Vae.Api.Models;
using Vae.Api.Storage;

namespace Vae.Api.Observability;

/// <summary>
/// Reads the figures a scrape shows from where they live: job counts from the store, queue lengths
/// from the scheduler, the caches' and the training's from this node. The store or the scheduler out
/// of reach leaves their figures as last read (GET /health/ready says what is down).
/// </summary>
public sealed class MetricSources(IServiceMetrics metrics, IVaeStore store, IJobScheduler scheduler, ModelCache cache, RenderedImageCache rendered, TrainingSpeed training, ILogger<MetricSources> log)
{
    public void Start() => metrics.BeforeCollect(RefreshAsync);

    private async Task RefreshAsync(CancellationToken ct)
    {
        var (hits, misses) = cache.Lookups;
        metrics.SetModelCache(cache.LoadedCount, cache.Capacity, hits, misses);
        metrics.SetRenderCache(rendered.Bytes, rendered.Hits, rendered.Misses);
        metrics.SetTrainingSpeed(training.ImagesPerSecond);
        try
        {
            metrics.SetJobs(await store.CountJobsAsync(ct));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogDebug("Metrics: the job counts could not be read ({Message})", e.Message);
        }
        try
        {
            metrics.SetQueueLengths(await scheduler.QueueLengthsAsync(ct));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogDebug("Metrics: the queue lengths could not be read ({Message})", e.Message);
        }
    }
}
