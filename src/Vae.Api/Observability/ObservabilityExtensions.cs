namespace Vae.Api.Observability;

/// <summary>
/// Metrics in Prometheus' text format at /metrics: request durations per route and status, jobs by
/// state, queue lengths, training speed, inference latency per endpoint, the model cache, and the
/// process. Who may read them: see <see cref="Security.AccessRequirement.Metrics"/>.
/// </summary>
public static class ObservabilityExtensions
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddObservability(this IServiceCollection services)
    {
        services.AddSingleton<PrometheusMetrics>();
        services.AddSingleton<IServiceMetrics>(sp => sp.GetRequiredService<PrometheusMetrics>());
        services.AddSingleton<TrainingSpeed>();
        services.AddSingleton<MetricSources>();
        return services;
    }

    /// <summary>Times every request from here on; early in the pipeline, so refusals and errors are timed too.</summary>
    public static WebApplication UseRequestMetrics(this WebApplication app)
    {
        app.Services.GetRequiredService<MetricSources>().Start();
        app.Services.GetRequiredService<PrometheusMetrics>().UseRequestDurations(app);
        return app;
    }

    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        app.ServiceProvider.GetRequiredService<PrometheusMetrics>().MapEndpoint(app, MetricsPath);
        return app;
    }
}
