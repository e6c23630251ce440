using Prometheus;
using Prometheus.HttpMetrics;
using Vae.Api.Security;
using Vae.Api.Storage;

namespace Vae.Api.Observability;

/// <summary>
/// <see cref="IServiceMetrics"/> on prometheus-net, with a registry of this host's own (so two hosts
/// in one process, as in tests, do not mix their figures), the process and .NET runtime metrics, the
/// request durations of every route, and the /metrics endpoint in Prometheus' text format.
/// </summary>
public sealed class PrometheusMetrics : IServiceMetrics
{
    /// <summary>1 ms to about 33 s, doubling: a small decode and a large score both land mid-range.</summary>
    private static readonly double[] Buckets = Histogram.ExponentialBuckets(0.001, 2, 16);

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Histogram _requests;
    private readonly Histogram _inference;
    private readonly Gauge _jobs;
    private readonly Gauge _queues;
    private readonly Gauge _trainingSpeed;
    private readonly Gauge _cacheModels;
    private readonly Gauge _cacheCapacity;
    private readonly Counter _cacheHits;
    private readonly Counter _cacheMisses;
    private readonly Gauge _renderBytes;
    private readonly Counter _renderHits;
    private readonly Counter _renderMisses;
    private readonly Gauge _cacheHitRatio;

    public PrometheusMetrics()
    {
        DotNetStats.Register(_registry);
        var factory = Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateHistogram("http_request_duration_seconds", "Time to answer an HTTP request, by route template, method and status code.",
            new HistogramConfiguration { LabelNames = ["code", "method", "endpoint"], Buckets = Buckets });
        _inference = factory.CreateHistogram("vae_inference_duration_seconds", "Time to answer an inference request that succeeded, by endpoint (encode, decode, samples, ...).",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = Buckets });
        _jobs = factory.CreateGauge("vae_jobs", "Training jobs in each state, all nodes together.", "state");
        _queues = factory.CreateGauge("vae_job_queue_length", "Jobs waiting in each scheduler queue for a node to take them.", "queue");
        _trainingSpeed = factory.CreateGauge("vae_training_images_per_second", "Training images per second of the jobs training on this node, summed.");
        _cacheModels = factory.CreateGauge("vae_model_cache_models", "Models loaded in this node's cache.");
        _cacheCapacity = factory.CreateGauge("vae_model_cache_capacity", "Most models this node keeps loaded (Models:CacheSize).");
        _cacheHits = factory.CreateCounter("vae_model_cache_hits_total", "Requests for a model found loaded in this node's cache.");
        _cacheMisses = factory.CreateCounter("vae_model_cache_misses_total", "Requests for a model that had to be loaded from the store.");
        _renderBytes = factory.CreateGauge("vae_render_cache_bytes", "Bytes of encoded sample grids and manifolds kept by this node (Models:RenderCacheMegabytes).");
        _renderHits = factory.CreateCounter("vae_render_cache_hits_total", "Sample grids and manifolds served from this node's rendered-image cache.");
        _renderMisses = factory.CreateCounter("vae_render_cache_misses_total", "Sample grids and manifolds this node had to decode and encode.");
        _cacheHitRatio = factory.CreateGauge("vae_model_cache_hit_ratio", "Share of model requests found loaded since the node started (1 before any).");
        // Every state and queue is there from the first scrape, at 0, so queries need no absent().
        foreach (var status in Enum.GetValues<JobStatus>()) _jobs.WithLabels(RecordFormat.StatusText(status)).Set(0);
        foreach (string queue in Jobs.JobQueues.Known) _queues.WithLabels(queue).Set(0);
        _cacheHitRatio.Set(1);
    }

    public void ObserveInference(string endpoint, TimeSpan elapsed) => _inference.WithLabels(endpoint).Observe(elapsed.TotalSeconds);

    public void SetJobs(IReadOnlyDictionary<JobStatus, long> byStatus)
    {
        foreach (var status in Enum.GetValues<JobStatus>()) _jobs.WithLabels(RecordFormat.StatusText(status)).Set(byStatus.GetValueOrDefault(status));
    }

    public void SetQueueLengths(IReadOnlyDictionary<string, long> byQueue)
    {
        foreach (var (queue, length) in byQueue) _queues.WithLabels(queue).Set(length);
    }

    public void SetTrainingSpeed(double imagesPerSecond) => _trainingSpeed.Set(imagesPerSecond);

    public void SetModelCache(int loaded, int capacity, long hits, long misses)
    {
        _cacheModels.Set(loaded);
        _cacheCapacity.Set(capacity);
        _cacheHits.IncTo(hits);
        _cacheMisses.IncTo(misses);
        _cacheHitRatio.Set(hits + misses == 0 ? 1 : (double)hits / (hits + misses));
    }

    public void SetRenderCache(long bytes, long hits, long misses)
    {
        _renderBytes.Set(bytes);
        _renderHits.IncTo(hits);
        _renderMisses.IncTo(misses);
    }

    public void BeforeCollect(Func<CancellationToken, Task> refresh) => _registry.AddBeforeCollectCallback(refresh);

    /// <summary>Times every request by its route template (not its path, so ids do not multiply the series).</summary>
    public void UseRequestDurations(IApplicationBuilder app) => app.UseHttpMetrics(o =>
    {
        o.SetMetricFactory(Metrics.WithCustomRegistry(_registry));
        o.RequestDuration.Histogram = _requests;
        o.RequestCount.Enabled = false; // the histogram's _count is the request count
        o.InProgress.Enabled = false;
    });

    /// <summary>GET /metrics, under <see cref="AccessRequirement.Metrics"/>.</summary>
    public void MapEndpoint(IEndpointRouteBuilder app, string path)
        => app.MapMetrics(path, _registry).WithMetadata(AccessRequirement.Metrics).WithDisplayName("Prometheus metrics");
}
