using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Vae.Api.Infrastructure;

/// <summary>OpenAPI document at /swagger/v1/swagger.json and Swagger UI at /swagger, with an example for every body.</summary>
public static class ApiDocs
{
    public static IServiceCollection AddApiDocs(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        // Bodies that endpoints read themselves, declared with AcceptsBody.
        services.TryAddEnumerable(ServiceDescriptor.Transient<Microsoft.AspNetCore.Mvc.ApiExplorer.IApiDescriptionProvider, RequestBodyDocs.Provider>());
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "VAE service",
                Version = "v1",
                Description = "Train Variational Autoencoders (MLP, convolutional and ResNet families, plain or conditional) on MNIST, Fashion-MNIST, CIFAR-10 or uploaded images, "
                    + "then sample, encode, decode, reconstruct and interpolate, score how unusual images are and move them along latent directions. "
                    + "Writes (creating and cancelling jobs and sweeps, uploading and deleting datasets, deleting models, storing and deleting latent directions) "
                    + "need a key with the write scope in the X-Api-Key header, or a loopback client when no key is configured; reads need one with the read scope "
                    + "only where the service requires it (the operations then name the key scheme). Errors are RFC 9457 problem details.",
            });
            // Free JSON (a sweep's values, a family's defaults) is any value, not the JsonNode class's own properties.
            o.MapType<JsonNode>(() => new OpenApiSchema { Description = "Any JSON value." });
            o.MapType<JsonObject>(() => new OpenApiSchema { Type = JsonSchemaType.Object, Description = "A JSON object." });
            o.SchemaFilter<ExampleSchemaFilter>();
            OpenApiConventions.Configure(o);
            o.OperationFilter<BinaryImagesAndHeaders>();
            o.OperationFilter<AcceptedImageTypes>();
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

    /// <summary>Documents headers that a response of <paramref name="status"/> carries (name: description; integer values).</summary>
    public static RouteHandlerBuilder WithResponseHeaders(this RouteHandlerBuilder builder, int status, IReadOnlyDictionary<string, string> headers)
        => builder.WithMetadata(new ResponseHeadersDoc(status, headers));

    public sealed record ResponseHeadersDoc(int Status, IReadOnlyDictionary<string, string> Headers);

    /// <summary>Marks an endpoint that reads images (as its body, in a zip or base64 in JSON), so its operation lists the accepted types.</summary>
    public static TBuilder ReadsImages<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(ReadsImagesDoc.Instance);

    public sealed class ReadsImagesDoc
    {
        public static readonly ReadsImagesDoc Instance = new();
    }

    /// <summary>What every operation that reads images says about them, and the list its x-image-types extension gives.</summary>
    public static string ImagesSentence { get; } =
        $"Images are read as {Vae.Engine.Imaging.ImageFormats.Names} ({string.Join(", ", Vae.Engine.Imaging.ImageFormats.MediaTypes)}); "
        + "any other format (GIF, TIFF, SVG, HEIC...) is 415. They are turned upright by their EXIF orientation; a truncated or corrupt file is 400; "
        + "one over the Images limits (sides, pixels, decoder memory, decode time) is 422, refused from its header before it is decoded.";

    /// <summary>Examples keyed by the wire type's name, shown in Swagger UI's "Try it out".</summary>
    public static Dictionary<string, string> Examples { get; } = new()
    {
        ["EncodeRequest"] = "{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0", 784)) + "]}",
        ["TrainingRequest"] = """{"name":"conditional conv VAE","dataset":"fashion-mnist","model":{"family":"conv","kind":"vae","conditional":true,"latentDim":16},"epochs":10}""",
    };

    /// <summary>
    /// Images and files are bytes: every image/*, application/zip and application/octet-stream body and response gets a binary string schema (not the JSON
    /// alternative's schema, which ApiExplorer gives every content type of a body or response), and
    /// the headers declared with <see cref="WithResponseHeaders"/> are added to their response.
    /// </summary>
    private sealed class BinaryImagesAndHeaders : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            MakeImagesBinary(operation.RequestBody?.Content);
            if (operation.Parameters is { } parameters)
            {
                // Query parameters bind case-insensitively; they are documented in camelCase like the JSON.
                foreach (var parameter in parameters.OfType<OpenApiParameter>())
                    if (parameter.In == ParameterLocation.Query && parameter.Name is { Length: > 0 } name)
                        parameter.Name = char.ToLowerInvariant(name[0]) + name[1..];
            }
            if (operation.Responses is null) return;
            foreach (var (status, response) in operation.Responses)
            {
                MakeImagesBinary(response.Content);
                foreach (var doc in context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<ResponseHeadersDoc>())
                {
                    if (doc.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) != status || response is not OpenApiResponse concrete) continue;
                    concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    foreach (var (name, description) in doc.Headers)
                        concrete.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };
                }
            }
        }
    }

    /// <summary>
    /// Every operation that reads images lists the accepted image types: in its description, and as
    /// x-image-types, which holds for images in JSON and in zips too, where the request's own media
    /// type cannot say it.
    /// </summary>
    private sealed class AcceptedImageTypes : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<ReadsImagesDoc>().Any()) return;
            operation.Description = string.IsNullOrEmpty(operation.Description) ? ImagesSentence : $"{operation.Description} {ImagesSentence}";
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions["x-image-types"] = new JsonNodeExtension(new JsonArray([.. Vae.Engine.Imaging.ImageFormats.MediaTypes.Select(t => (JsonNode)JsonValue.Create(t)!)]));
        }
    }

    private static void MakeImagesBinary(IDictionary<string, OpenApiMediaType>? content)
    {
        if (content is null) return;
        foreach (var (type, media) in content)
            if (type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || type.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)
                || type.Equals("application/zip", StringComparison.OrdinalIgnoreCase))
                media.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
    }

    private sealed class ExampleSchemaFilter : ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (schema is OpenApiSchema s && Examples.TryGetValue(context.Type.Name, out var json))
                s.Examples = [JsonNode.Parse(json)!];
        }
    }
}
