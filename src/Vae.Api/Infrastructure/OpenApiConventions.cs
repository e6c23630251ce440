using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Vae.Api.Security;
using Vae.Engine.Models;

namespace Vae.Api.Infrastructure;

/// <summary>
/// What every operation of the OpenAPI document has in common and no endpoint should have to
/// repeat: an operation id generated from its route, who may call it (the API key scheme on
/// writes, none on reads), the 429 and its Retry-After that the rate limiter can answer, the 503 and
/// its Retry-After of a database out of reach, and, for
/// the model configuration, one schema per family behind the "family" discriminator, read from the
/// engine's registry so a new family documents itself.
/// </summary>
public static class OpenApiConventions
{
    public const string ApiKeyScheme = "apiKey";

    public static readonly IReadOnlyDictionary<string, string> TagDescriptions = new Dictionary<string, string>
    {
        ["Datasets"] = "The images jobs train on: the built-in MNIST, Fashion-MNIST and CIFAR-10, and uploads.",
        ["Families"] = "The model families a training request can name, with their fields, defaults and examples.",
        ["Jobs"] = "Training jobs: queue one, follow its progress, cancel it.",
        ["Sweeps"] = "Sweeps: one training job per combination of a few fields' values, all on the same seed, compared point by point.",
        ["Models"] = "Trained models: sample, encode, decode, reconstruct, interpolate and explore their latent space; score how unusual images are; "
            + "store latent directions and move images along them.",
        ["Health"] = "Whether the service can take work.",
    };

    public static void Configure(SwaggerGenOptions o)
    {
        o.CustomOperationIds(OperationId);
        o.AddSecurityDefinition(ApiKeyScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = SecurityExtensions.ApiKeyHeader,
            Description = "One of the service's keys (Security:Keys, or Security:ApiKey), each with scopes: read, write (includes read), admin (includes both). "
                + "Writes (creating and cancelling jobs and sweeps, uploading and deleting datasets, deleting models, storing and deleting a model's latent directions) need write; "
                + "reads need read only when Security:RequireKeyForReads is on. Without a configured key, writes are accepted from loopback only. "
                + "Authorization: Bearer KEY is taken as well.",
        });
        o.OperationFilter<AccessAndLimits>();
        o.OperationFilter<TrainingRequestExamples>();

        // One schema per family: oneOf with "family" as the discriminator, each complete in itself.
        o.UseOneOfForPolymorphism();
        o.SelectSubTypesUsing(t => t == typeof(ModelConfig) ? ModelRegistry.Families.Select(f => f.ConfigType) : []);
        o.SelectDiscriminatorNameUsing(t => t == typeof(ModelConfig) ? "family" : null);
        o.SelectDiscriminatorValueUsing(t => ModelRegistry.Families.FirstOrDefault(f => f.ConfigType == t)?.Name);
        o.DocumentFilter<TagsAndServers>();
        o.DocumentFilter<ModelConfigSchemas>();
    }

    /// <summary>
    /// GET /api/models/{id}/samples.png → getModelSamplesPng; GET /api/jobs → listJobs;
    /// POST /api/jobs → createJob; DELETE /api/jobs/{id} → deleteJob.
    /// </summary>
    public static string OperationId(Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription api)
    {
        string method = (api.HttpMethod ?? "get").ToLowerInvariant();
        var segments = (api.RelativePath ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "api").ToList();
        bool collection = segments.Count == 1;
        var words = new List<string>();
        for (int i = 0; i < segments.Count; i++)
        {
            if (segments[i].StartsWith('{')) continue;
            // A resource followed by its id is named in the singular: models/{id}/samples.png → ModelSamplesPng.
            bool singular = (i + 1 < segments.Count && segments[i + 1].StartsWith('{')) || (collection && method == "post");
            words.Add(Pascal(singular ? Singular(segments[i]) : segments[i]));
        }
        string verb = method switch
        {
            "get" when collection && segments[0].EndsWith('s') => "list",
            "post" when collection => "create",
            _ => method,
        };
        return verb + string.Concat(words);
    }

    private static string Singular(string word) => word.EndsWith("ies", StringComparison.Ordinal) ? word[..^3] + "y" : word.TrimEnd('s');

    private static string Pascal(string word)
    {
        var b = new StringBuilder();
        foreach (string part in word.Split(['.', '-', '_'], StringSplitOptions.RemoveEmptyEntries))
            b.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        return b.ToString();
    }

    /// <summary>
    /// Who may call an operation (the key scheme where its access requirement asks for a key, with the
    /// 401 and 403 that can then answer), and the rate limiter's answer.
    /// </summary>
    private sealed class AccessAndLimits(Microsoft.Extensions.Options.IOptions<SecurityOptions> security) : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            var need = AccessRequirement.Strongest(metadata.OfType<AccessRequirement>());
            bool guarded = need is not null && need.IsGuarded(security.Value.RequireKeyForReads);
            operation.Security = guarded
                ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }]
                : [];
            operation.Responses ??= new OpenApiResponses();
            if (guarded)
            {
                Refusal(operation, "401", "No key was sent, and this operation needs one (X-Api-Key).", context);
                Refusal(operation, "403", "The key is wrong or lacks the scope this operation needs; without configured keys, the client is not on this machine.", context);
            }
            // Any operation may find the database out of reach (a PostgreSQL outage): 503, retry later.
            WithRetryAfter(operation, "503", "The service's database does not answer right now; models a node has loaded are still served. Retry after the seconds Retry-After gives.", context);
            if (metadata.OfType<EnableRateLimitingAttribute>().Any())
                WithRetryAfter(operation, "429", "Too many requests from this client in the current window; retry after the seconds Retry-After gives.", context);
        }

        /// <summary>A ProblemDetails response for <paramref name="status"/> unless the operation declares one.</summary>
        private static void Refusal(OpenApiOperation operation, string status, string description, OperationFilterContext context)
        {
            if (operation.Responses!.ContainsKey(status)) return;
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) },
                },
            };
        }

        /// <summary>The operation's ProblemDetails response for <paramref name="status"/> (added when missing) with a Retry-After header.</summary>
        private static void WithRetryAfter(OpenApiOperation operation, string status, string description, OperationFilterContext context)
        {
            if (!operation.Responses!.TryGetValue(status, out var existing) || existing is not OpenApiResponse response)
            {
                response = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) },
                    },
                };
                operation.Responses[status] = response;
            }
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["Retry-After"] = new OpenApiHeader
            {
                Description = "Seconds to wait before the next request.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
            };
        }
    }

    /// <summary>
    /// ModelConfig as one polymorphic schema: oneOf the families' schemas with "family" as the
    /// discriminator. Each family's schema is made complete in itself (the shared fields copied in,
    /// "family" fixed to its name) rather than allOf the base: with additionalProperties false on
    /// both, an allOf would refuse every real configuration.
    /// </summary>
    private sealed class ModelConfigSchemas : IDocumentFilter
    {
        public void Apply(OpenApiDocument document, DocumentFilterContext context)
        {
            var schemas = document.Components?.Schemas;
            if (schemas is null || !schemas.TryGetValue(nameof(ModelConfig), out var found) || found is not OpenApiSchema shared) return;
            var mapping = new Dictionary<string, OpenApiSchemaReference>();
            foreach (var family in ModelRegistry.Families)
            {
                string id = family.ConfigType.Name;
                if (!schemas.TryGetValue(id, out var own) || own is not OpenApiSchema schema) continue;
                var properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["family"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(family.Name)!], Description = family.Description },
                };
                foreach (var (name, property) in shared.Properties ?? new Dictionary<string, IOpenApiSchema>())
                    if (name != "family") properties[name] = property;
                foreach (var (name, property) in schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
                    properties[name] = property;
                schema.AllOf = null;
                schema.Type = JsonSchemaType.Object;
                schema.Properties = properties;
                schema.Required = new HashSet<string> { "family" };
                schema.AdditionalPropertiesAllowed = false;
                schema.Description = $"The {family.Name} family: {family.Description} Every field but family has a default.";
                mapping[family.Name] = new OpenApiSchemaReference(id, document);
            }
            schemas[nameof(ModelConfig)] = new OpenApiSchema
            {
                Description = "A model configuration: \"family\" picks the family and with it the other fields (GET /api/families lists them).",
                OneOf = [.. mapping.Values],
                Discriminator = new OpenApiDiscriminator { PropertyName = "family", Mapping = mapping },
            };
            // Properties Swashbuckle wrote as an inline, nullable oneOf of the families point at the one schema.
            foreach (var schema in schemas.Values.OfType<OpenApiSchema>())
            {
                if (schema.Properties is not { } props) continue;
                foreach (string key in props.Keys.ToList())
                {
                    if (props[key] is OpenApiSchema { OneOf: { } alternatives }
                        && alternatives.OfType<OpenApiSchemaReference>().Any(r => mapping.Values.Any(m => m.Reference.Id == r.Reference.Id)))
                        props[key] = new OpenApiSchemaReference(nameof(ModelConfig), document);
                }
            }
        }
    }

    /// <summary>Named examples on every JSON body that is a training request.</summary>
    private sealed class TrainingRequestExamples : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            bool training = context.ApiDescription.TakesBody<Storage.TrainingRequest>();
            if (!training || operation.RequestBody?.Content is not { } content || !content.TryGetValue("application/json", out var media)) return;
            media.Examples = TrainingExamples().ToDictionary(
                e => e.Key,
                e => (IOpenApiExample)new OpenApiExample { Summary = e.Key.Replace('-', ' '), Value = e.Value });
        }
    }

    /// <summary>Tag descriptions, and a relative server so the document works wherever it is served.</summary>
    private sealed class TagsAndServers : IDocumentFilter
    {
        public void Apply(OpenApiDocument document, DocumentFilterContext context)
        {
            document.Servers = [new OpenApiServer { Url = "/", Description = "The service that serves this document." }];
            var used = document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? [])
                .SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>()).Select(t => t.Name).Where(n => n is not null).Distinct();
            document.Tags = new HashSet<OpenApiTag>(used.Select(name => new OpenApiTag
            {
                Name = name,
                Description = TagDescriptions.GetValueOrDefault(name!, name!),
            }));
        }
    }

    /// <summary>
    /// The body of POST /api/jobs with one example per family, each on a dataset of the shape the
    /// family's example expects, from the registry.
    /// </summary>
    public static Dictionary<string, JsonNode> TrainingExamples()
    {
        var examples = new Dictionary<string, JsonNode>();
        foreach (var family in ModelRegistry.Families)
        {
            foreach (var (name, config) in family.Examples.Take(2))
            {
                var model = (JsonObject)JsonNode.Parse(config.ToJson())!;
                string dataset = config.Channels == 3 ? "cifar10" : config.Conditional ? "fashion-mnist" : "mnist";
                // The shape and class count come from the dataset; an example need not repeat them.
                foreach (string field in ModelRegistry.DatasetFields) model.Remove(field);
                examples[$"{family.Name}-{name.Replace(' ', '-')}"] = new JsonObject
                {
                    ["name"] = Models.ModelNames.From($"{family.Name}-{name}"),
                    ["dataset"] = dataset,
                    ["model"] = model,
                    ["epochs"] = family.Recipe.ExampleEpochs,
                };
            }
        }
        // The device is the node's unless the request asks: this one trains only where there is a GPU.
        var first = ModelRegistry.DefaultFamily;
        examples[$"{first.Name}-on-a-gpu"] = new JsonObject
        {
            ["name"] = $"{first.Name}-on-a-gpu",
            ["dataset"] = "mnist",
            ["model"] = new JsonObject { ["family"] = first.Name },
            ["epochs"] = first.Recipe.ExampleEpochs,
            ["device"] = "gpu",
        };
        return examples;
    }
}
