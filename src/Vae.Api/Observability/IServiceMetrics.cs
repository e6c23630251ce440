using Vae.Api.Storage;

namespace Vae.Api.Observability;

/// <summary>
/// What the service measures, in its own words. <see cref="PrometheusMetrics"/> is the one
/// implementation; nothing outside this folder knows the metrics library. Most figures are read
/// when a scrape asks for them (<see cref="BeforeCollect"/>), so no part of the service has to push
/// them as it works.
/// </summary>
public interface IServiceMetrics
{
    /// <summary>One inference request that succeeded, by endpoint (encode, decode, samples, ...).</summary>
    void ObserveInference(string endpoint, TimeSpan elapsed);

    /// <summary>Jobs in each status, all nodes together.</summary>
    void SetJobs(IReadOnlyDictionary<JobStatus, long> byStatus);

    /// <summary>Jobs waiting in each scheduler queue.</summary>
    void SetQueueLengths(IReadOnlyDictionary<string, long> byQueue);

    /// <summary>Images per second of the jobs training on this node, summed (0 when none trains).</summary>
    void SetTrainingSpeed(double imagesPerSecond);

    /// <summary>The model cache of this node: models loaded, its capacity, and lookups since start.</summary>
    void SetModelCache(int loaded, int capacity, long hits, long misses);

    /// <summary>The rendered-image cache of this node: bytes held, and grids served from it or rendered since start.</summary>
    void SetRenderCache(long bytes, long hits, long misses);

    /// <summary>Runs <paramref name="refresh"/> before every scrape.</summary>
    void BeforeCollect(Func<CancellationToken, Task> refresh);
}
