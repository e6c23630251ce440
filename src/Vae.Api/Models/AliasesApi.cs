using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Api.Security;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>
/// /api/aliases: names that pin a model id until someone moves them, such as "default" (set on the
/// first start to the first job's model). /api/models/{alias}/... then serves that model.
/// </summary>
public static class AliasesApi
{
    /// <summary>An alias request is one short reference; anything near this is not one.</summary>
    public const int MaxRequestBytes = 4 * 1024;

    private const string Shape = "{\"model\": \"digits-2d@1\"}";

    public static IEndpointRouteBuilder MapAliases(this IEndpointRouteBuilder app)
    {
        var aliases = app.MapGroup("/api/aliases").WithTags("Aliases").RequireRateLimiting(SecurityExtensions.RatePolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        aliases.MapGet("/", ListAsync)
            .WithSummary("Lists the aliases, in order of name, with the model each names.")
            .RejectsUnknownQuery<NoQuery>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        aliases.MapGet("/{alias}", GetAsync)
            .WithSummary("One alias and the model it names.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        aliases.MapPut("/{alias}", SetAsync)
            .WithSummary("Points an alias at a model, creating it (201) or moving it (200) (needs write access).")
            .WithDescription("The body names the model: {\"model\": \"<id | alias | name@version | name>\"}; the alias keeps the id of the model it names now "
                + "(a name's newest version at this moment) until it is moved again. An alias is 1 to 100 letters, digits, '.', '_' and '-', starting with a "
                + "letter or digit, and does not look like an id (422 naming alias otherwise); it may not be a model's name (409), since /api/models/{ref} "
                + "looks up aliases before names. A model that does not exist is a 422 naming model.")
            .RequireWriteAccess()
            .AcceptsBody<AliasRequest>(Json)
            .Produces<AliasView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        aliases.MapDelete("/{alias}", DeleteAsync)
            .WithSummary("Deletes an alias, not its model (needs write access).")
            .RequireWriteAccess()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>An endpoint that takes no query parameters.</summary>
    public sealed record NoQuery;

    private static async Task<Ok<AliasList>> ListAsync(ModelStore store, CancellationToken ct)
    {
        var views = new List<AliasView>();
        foreach (var alias in await store.ListAliasesAsync(ct)) views.Add(alias.AsView(await store.GetAsync(alias.ModelId, ct)));
        return TypedResults.Ok(new AliasList(views));
    }

    private static async Task<Results<Ok<AliasView>, ProblemHttpResult>> GetAsync(string alias, ModelStore store, CancellationToken ct)
    {
        if (await store.GetAliasAsync(alias, ct) is not { } record) return NoSuchAlias(alias);
        return TypedResults.Ok(record.AsView(await store.GetAsync(record.ModelId, ct)));
    }

    private static async Task<Results<Ok<AliasView>, Created<AliasView>, ProblemHttpResult>> SetAsync(
        string alias, HttpRequest http, ModelStore store, Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        if (ModelNames.Problem(alias) is { } invalid) return Problems.Invalid("alias", $"alias {invalid}");

        AliasRequest request;
        using (var body = await RequestBody.ReadAsync(http, MaxRequestBytes, $"An alias request is at most {MaxRequestBytes} bytes of JSON, like {Shape}.", ct))
        {
            if (body.Problem is not null) return body.Problem;
            if (ContentNegotiation.ContentKind(http) != BodyKind.Json) return ContentNegotiation.UnsupportedContentType(http, ContentNegotiation.Json);
            var (parsed, problem) = JsonBody.Parse<AliasRequest>(body.Span, json.Value.SerializerOptions, Shape);
            if (problem is not null) return problem;
            request = parsed!;
        }
        if (string.IsNullOrWhiteSpace(request.Model))
            return Problems.Invalid("model", $"model is required: the id, alias, name@version or name of the model the alias is to name, like {Shape}.");

        string reference = request.Model.Trim();
        if (await store.ResolveAsync(reference, ct) is not { } model)
        {
            var (_, why) = await store.ExplainMissingAsync(reference, ct);
            return Problems.Invalid("model", $"model '{reference}' names no model an alias can name: {why}");
        }
        if (await store.GetByNameAsync(alias, null, ct) is not null)
            return Problems.Make(StatusCodes.Status409Conflict, "The alias is a model's name",
                $"'{alias}' is the name of a model, and /api/models/{alias} would then serve the alias's model instead of that name's newest version. Choose another alias, or use {alias}@VERSION to pin a version.");

        var (created, stored) = await store.SetAliasAsync(alias, model.Id, ct);
        var view = stored.AsView(model);
        return created ? TypedResults.Created($"/api/aliases/{Uri.EscapeDataString(alias)}", view) : TypedResults.Ok(view);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string alias, ModelStore store, CancellationToken ct)
        => await store.DeleteAliasAsync(alias, ct) ? TypedResults.NoContent() : NoSuchAlias(alias);

    private static ProblemHttpResult NoSuchAlias(string alias)
        => Problems.NotFound($"There is no alias '{alias}'. GET /api/aliases lists the aliases; PUT /api/aliases/{alias} with {Shape} creates it.");
}
