using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Vae.Api.Infrastructure;

/// <summary>OpenAPI document at /swagger/v1/swagger.json and Swagger UI at /swagger, with an example for every body.</summary>
public static class ApiDocs
{
    public static IServiceCollection AddApiDocs(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "VAE service",
                Version = "v1",
                Description = "Train Variational Autoencoders, then sample, encode, decode and interpolate. "
                    + "Writes (POST/DELETE of jobs, DELETE of models) need the X-Api-Key header, or a loopback client when no key is configured.",
            });
            o.SchemaFilter<ExampleSchemaFilter>();
            var xml = Path.Combine(AppContext.BaseDirectory, typeof(ApiDocs).Assembly.GetName().Name + ".xml");
            if (File.Exists(xml)) o.IncludeXmlComments(xml);
        });
        return services;
    }

    public static WebApplication UseApiDocs(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o => o.DocumentTitle = "VAE service API");
        return app;
    }

    /// <summary>Examples keyed by the wire type's name, shown in Swagger UI's "Try it out".</summary>
    public static Dictionary<string, string> Examples { get; } = new()
    {
        ["EncodeRequest"] = "{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0", 784)) + "]}",
        ["TrainingRequest"] = """{"name":"conditional conv VAE","dataset":"fashion-mnist","model":{"family":"conv","kind":"vae","conditional":true,"latentDim":16},"epochs":10}""",
    };

    private sealed class ExampleSchemaFilter : ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (schema is OpenApiSchema s && Examples.TryGetValue(context.Type.Name, out var json))
                s.Examples = [JsonNode.Parse(json)!];
        }
    }
}
