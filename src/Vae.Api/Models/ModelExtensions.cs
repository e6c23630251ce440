using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;
using Vae.Api.Cluster;
using Vae.Api.Infrastructure;

namespace Vae.Api.Models;

public static class ModelExtensions
{
    public static IServiceCollection AddModels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModelsOptions>().Bind(configuration.GetSection(ModelsOptions.Section))
            .Validate(o => o.CacheSize >= 1, "Models:CacheSize must be at least 1.")
            .Validate(o => o.InferenceThreads >= 1, "Models:InferenceThreads must be at least 1.")
            .Validate(o => o.MaxSamples >= 1 && o.MaxInterpolationSteps >= 2 && o.MaxManifoldSize >= 1 && o.MaxBatch >= 1 && o.MaxLatents >= 1,
                "Models: MaxSamples, MaxManifoldSize, MaxBatch and MaxLatents must be at least 1, MaxInterpolationSteps at least 2.")
            .Validate(o => float.IsFinite(o.MaxTemperature) && o.MaxTemperature > 0, "Models:MaxTemperature must be a positive finite number.")
            .Validate(o => o.MaxBodyBytes >= 1024 && o.MaxBodyBytes <= int.MaxValue - 1, "Models:MaxBodyBytes must be between 1024 and 2147483646.")
            .Validate(o => o.MaxScoreSamples is >= 1 and <= 5000 && o.ScoreSamples >= 1 && o.ScoreSamples <= o.MaxScoreSamples,
                "Models:MaxScoreSamples must be between 1 and 5000, and Models:ScoreSamples between 1 and MaxScoreSamples.")
            .Validate(o => o.ScoreImages >= 1 && o.DirectionImages >= 1 && o.DirectionImages <= o.MaxLatents,
                "Models:ScoreImages must be at least 1, and Models:DirectionImages between 1 and Models:MaxLatents.")
            .Validate(o => o.RenderCacheMegabytes is >= 0 and <= 65536, "Models:RenderCacheMegabytes must be between 0 (off) and 65536.")
            .ValidateOnStart();
        services.AddImages(configuration);
        services.TryAddSingleton<ModelStore>();
        services.AddSingleton<ModelCache>();
        services.AddSingleton<InferenceService>();
        services.AddSingleton(sp => RenderedImageCache.FromOptions(sp.GetRequiredService<IOptions<ModelsOptions>>()));
        services.AddSingleton<ModelSidecars>();
        services.AddSingleton<AnomalyScoring>();
        services.AddSingleton<DirectionStore>();
        // Import of models trained elsewhere, and export of encoders and decoders as ONNX files.
        services.AddOptions<ImportOptions>().Bind(configuration.GetSection(ImportOptions.Section))
            .Validate(o => o.MaxBytes >= 1024, "Models:Import:MaxBytes must be at least 1024.")
            .ValidateOnStart();
        services.AddSingleton<ModelImporter>();
        services.AddSingleton<Vae.Engine.Export.IGraphWriter, Vae.Engine.Export.Onnx.OnnxWriter>();
        services.ConfigureSwaggerGen(o => o.OperationFilter<ModelTransferDocs.Filter>());
        // Other nodes hear of this node's model changes and this node drops theirs (with one node nobody hears, and nothing arrives).
        services.AddHostedService<ModelChangePublisher>();
        services.AddSingleton<IClusterEventHandler, ModelChangedHandler>();
        // An image in a JSON body is a base64 image file or a list of pixel values (see ImageInputConverter).
        services.ConfigureSwaggerGen(o => o.SchemaFilter<ImageInputSchema>());
        return services;
    }

    // Once per process: the examples table is shared by every host in it (tests start several).
    static ModelExtensions()
    {
        ApiDocs.Examples[nameof(DecodeRequest)] = """{"latents":[[0,0],[1.5,-0.5]]}""";
        ApiDocs.Examples[nameof(DirectionRequest)] = """{"name":"seven-minus-one","from":{"label":1},"to":{"label":7},"limit":500}""";
        ApiDocs.Examples[nameof(EditRequest)] = """{"latent":[0,0],"direction":"seven-minus-one","amounts":[-2,-1,0,1,2]}""";
        ApiDocs.Examples[nameof(ScoreRequest)] = "{\"images\":[[" + string.Join(",", Enumerable.Repeat("0", 784)) + "]],\"k\":16}";
        ApiDocs.Examples[nameof(InterpolateRequest)] = """{"from":{"latent":[-2,0]},"to":{"latent":[2,0]},"steps":10,"method":"slerp"}""";
    }

    /// <summary>Describes <see cref="ImageInput"/> as what its converter reads: a string or an array of numbers.</summary>
    private sealed class ImageInputSchema : Swashbuckle.AspNetCore.SwaggerGen.ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, Swashbuckle.AspNetCore.SwaggerGen.SchemaFilterContext context)
        {
            if (context.Type != typeof(ImageInput) || schema is not OpenApiSchema s) return;
            s.Type = null;
            s.Properties = null;
            s.AdditionalPropertiesAllowed = true;
            s.AdditionalProperties = null;
            s.Required = null;
            s.Description = "An image: a base64 image file (PNG, JPEG, WebP or BMP), or Channels*Height*Width pixel values in [0, 1], channel-major.";
            s.OneOf =
            [
                new OpenApiSchema { Type = JsonSchemaType.String, Format = "byte", Description = "The image file's bytes (PNG, JPEG, WebP or BMP), base64-encoded (no data: prefix)." },
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Number, Format = "float" }, Description = "Pixel values in [0, 1]." },
            ];
        }
    }
}
