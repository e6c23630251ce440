using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Engine.Models;

namespace Vae.Api.Families;

/// <summary>
/// GET /api/families: the model families a training request's "model" can name, each with its
/// fields (type, default, allowed values, what they mean), its tutorial's training recipe and
/// example configurations. Read from the engine's registry, so clients (the demo page among them)
/// build their forms from it instead of hard-wiring the families.
/// </summary>
public static class FamiliesApi
{
    /// <summary>One field of a family's configuration.</summary>
    /// <param name="Name">The JSON name inside "model".</param>
    /// <param name="Type">integer, number, boolean, string or integer[].</param>
    /// <param name="Default">The family's default value.</param>
    /// <param name="Values">The allowed values, for a field that takes one of a few names.</param>
    /// <param name="Description">What the field means, in the tutorials' words.</param>
    /// <param name="FromDataset">Filled in from the dataset when left out (the image shape, the class count); a form need not offer it.</param>
    public sealed record FieldView(string Name, string Type, JsonNode? Default, IReadOnlyList<string>? Values, string? Description, bool FromDataset);

    /// <summary>How the family's tutorial trains it: the defaults of a request's batchSize and learningRate.</summary>
    public sealed record RecipeView(int BatchSize, float LearningRate);

    /// <summary>A model family.</summary>
    /// <param name="Name">The value of "family".</param>
    /// <param name="Defaults">The whole default configuration.</param>
    /// <param name="Examples">Named configurations to start from.</param>
    /// <param name="Starter">Where a form starts: quick to train and easy to look at (for the MLP a 2-d code, drawn as a plane); the defaults unless the family has a better first try.</param>
    public sealed record FamilyView(
        string Name, string Description, IReadOnlyList<FieldView> Fields, JsonNode Defaults, IReadOnlyDictionary<string, JsonNode> Examples, RecipeView Recipe,
        JsonNode Starter);

    /// <param name="Default">The family a training request that names none trains.</param>
    public sealed record FamilyList(IReadOnlyList<FamilyView> Families, string Default);

    private static readonly Lazy<FamilyList> All = new(() => new FamilyList(ModelRegistry.Families.Select(Describe).ToArray(), ModelRegistry.DefaultFamily.Name));

    public static IEndpointRouteBuilder MapFamilies(this IEndpointRouteBuilder app)
    {
        var families = app.MapGroup("/api/families").WithTags("Families").RequireRateLimiting(Security.SecurityExtensions.RatePolicy);
        families.MapGet("/", () => TypedResults.Ok(All.Value))
            .WithSummary("The model families a training request can name, with their fields, defaults and examples");
        families.MapGet("/{name}", Get)
            .WithSummary("One model family")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static Results<Ok<FamilyView>, ProblemHttpResult> Get(string name)
    {
        var family = All.Value.Families.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
        return family is null
            ? Infrastructure.Problems.NotFound($"There is no model family '{name}'; the families are {string.Join(", ", ModelRegistry.Names)}.")
            : TypedResults.Ok(family);
    }

    private static FamilyView Describe(IModelFamily family)
    {
        var defaults = Json(family.DefaultConfig);
        var fields = ModelRegistry.Fields(family).Select(p => new FieldView(
            p.Name, TypeName(p.PropertyType), defaults[p.Name]?.DeepClone(), ValuesOf(p.PropertyType), DescriptionOf(p),
            ModelRegistry.DatasetFields.Contains(p.Name))).ToArray();
        var examples = family.Examples.ToDictionary(e => e.Key, e => (JsonNode)Json(e.Value));
        return new FamilyView(family.Name, family.Description, fields, defaults, examples, new RecipeView(family.Recipe.BatchSize, family.Recipe.LearningRate),
            Json(family.Starter));
    }

    private static JsonObject Json(ModelConfig config) => (JsonObject)JsonNode.Parse(config.ToJson())!;

    private static string TypeName(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) => "integer",
        _ when type == typeof(float) || type == typeof(double) => "number",
        _ when type == typeof(bool) => "boolean",
        _ when type == typeof(int[]) => "integer[]",
        _ => "string",
    };

    private static string[]? ValuesOf(Type type)
        => type.IsEnum ? [.. Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName)] : null;

    private static string? DescriptionOf(JsonPropertyInfo property)
        => (property.AttributeProvider as MemberInfo)?.GetCustomAttribute<DescriptionAttribute>()?.Description;
}
