using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Vae.Api.Infrastructure;

namespace Vae.Api.Sweeps;

/// <summary>The sweeps' services and options; the endpoints are in <see cref="SweepsApi"/>.</summary>
public static class SweepExtensions
{
    public static IServiceCollection AddSweeps(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SweepsOptions>().Bind(configuration.GetSection(SweepsOptions.Section))
            .Validate(o => o.MaxPoints is >= 1 and <= 10_000, "Sweeps:MaxPoints must be between 1 and 10000.")
            .ValidateOnStart();
        services.AddSingleton<SweepQueue>();
        services.ConfigureSwaggerGen(o => o.OperationFilter<SweepExamples>());
        return services;
    }

    /// <summary>The example sweeps shown on POST /api/sweeps.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Examples() => new Dictionary<string, JsonObject>
    {
        ["beta-by-latent-size"] = new()
        {
            ["name"] = "beta-and-size",
            ["base"] = new JsonObject { ["dataset"] = "mnist", ["model"] = new JsonObject { ["family"] = "mlp" }, ["epochs"] = 10, ["seed"] = 7 },
            ["grid"] = new JsonObject { ["model.beta"] = new JsonArray(0.5, 1, 4), ["model.latentDim"] = new JsonArray(2, 16) },
        },
        ["learning-rate"] = new()
        {
            ["name"] = "conv-learning-rate",
            ["base"] = new JsonObject { ["dataset"] = "fashion-mnist", ["model"] = new JsonObject { ["family"] = "conv", ["latentDim"] = 16 }, ["epochs"] = 5 },
            ["grid"] = new JsonObject { ["learningRate"] = new JsonArray(0.0003, 0.001, 0.003) },
        },
    };

    private sealed class SweepExamples : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            bool sweep = context.ApiDescription.TakesBody<SweepRequest>();
            if (!sweep || operation.RequestBody?.Content is not { } content || !content.TryGetValue("application/json", out var media)) return;
            media.Examples = Examples().ToDictionary(
                e => e.Key,
                e => (IOpenApiExample)new OpenApiExample { Summary = e.Value["name"]!.GetValue<string>(), Value = e.Value });
        }
    }
}
