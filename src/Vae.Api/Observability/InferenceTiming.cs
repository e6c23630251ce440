using System.Collections.Concurrent;
using System.Diagnostics;

namespace Vae.Api.Observability;

/// <summary>
/// Times the model endpoints that run a model, labelled by the route's last segment
/// (/api/models/{id}/samples.png → samples). Put on the models' route group once; the other model
/// endpoints (records, weights, directions) pass through untimed. Refusals (a ProblemDetails, an
/// exception) are not counted: they say nothing of how long inference takes.
/// </summary>
public static class InferenceTiming
{
    /// <summary>The endpoints that run a model, by their route's last segment without its extension.</summary>
    public static readonly IReadOnlySet<string> Endpoints = new HashSet<string>(StringComparer.Ordinal)
    {
        "encode", "decode", "reconstruct", "samples", "interpolate", "manifold", "latents", "score", "edit",
    };

    private static readonly ConcurrentDictionary<Endpoint, string?> Labels = new();

    public static TBuilder WithInferenceMetrics<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.GetEndpoint() is not { } endpoint || Labels.GetOrAdd(endpoint, LabelOf) is not { } label) return await next(context);
            long start = Stopwatch.GetTimestamp();
            var result = await next(context);
            if (!IsRefusal(result))
                http.RequestServices.GetRequiredService<IServiceMetrics>().ObserveInference(label, Stopwatch.GetElapsedTime(start));
            return result;
        });
        return builder;
    }

    /// <summary>A result of 400 or more, however deep in a typed result union.</summary>
    private static bool IsRefusal(object? result)
    {
        while (result is INestedHttpResult nested) result = nested.Result;
        return result is IStatusCodeHttpResult { StatusCode: >= 400 };
    }

    private static string? LabelOf(Endpoint endpoint)
    {
        if (endpoint is not RouteEndpoint { RoutePattern.PathSegments: [.., var last] } || last.Parts is not [Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal])
            return null;
        string name = Path.GetFileNameWithoutExtension(literal.Content);
        return Endpoints.Contains(name) ? name : null;
    }
}
