using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Vae.Api.Infrastructure;
using Vae.Api.Security;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>
/// Trained models and what can be done with them: list, inspect, download and delete them; encode
/// images, decode codes, reconstruct, sample, interpolate, draw the latent manifold and the
/// dataset's codes. The id "default" names the newest MNIST model. A conditional model takes a
/// class label wherever it draws or reads an image (query <c>label</c>, or body <c>labels</c> with
/// one label per item); an unconditional one refuses labels.
/// </summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/models").WithTags("Models").RequireRateLimiting(SecurityExtensions.RatePolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ValidateQueries<ModelsOptions>();

        models.MapGet("/", ListAsync)
            .WithSummary("Lists the trained models, newest first, optionally those of one dataset.");
        models.MapGet("/{id}", GetAsync)
            .WithSummary("A model: configuration, dataset, class names, metrics per epoch, evaluation, creation time, size.")
            .ProducesModelLookup();
        models.MapDelete("/{id}", DeleteAsync)
            .WithSummary("Deletes a model (needs write access).")
            .RequireWriteAccess()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        models.MapGet("/{id}/weights", WeightsAsync)
            .WithSummary("The model's safetensors file: weights, with the configuration and metrics in its metadata.")
            .Produces(StatusCodes.Status200OK, typeof(byte[]), "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent, typeof(byte[]), "application/octet-stream")
            .Produces(StatusCodes.Status304NotModified)
            .Produces(StatusCodes.Status416RangeNotSatisfiable)
            .ProducesModelLookup();

        models.MapPost("/{id}/encode", ModelCodesApi.EncodeAsync)
            .WithSummary("Encodes images: a PNG body (image/png), or JSON {\"pixels\": [...]} or {\"batch\": [[...], ...]} with values in [0, 1].")
            .WithDescription("A colour model reads the PNG's colours, resized to its input; a gray model its luminance (see invert), "
                + "with MNIST's centring for MNIST models. A conditional model needs ?label= for a PNG, \"labels\" (one per image) or ?label= for JSON.")
            .AcceptsBody<EncodeRequest>(Json, Png)
            .Produces<EncodeResponse>()
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapPost("/{id}/decode", ModelImagesApi.DecodeAsync)
            .WithSummary("Decodes latent codes into a PNG grid, or into pixel values with Accept: application/json.")
            .WithDescription("A conditional model needs \"labels\" (one per code) in the body or ?label= for all of them.")
            .AcceptsBody<DecodeRequest>(Json)
            .ProducesImage(typeof(ImagesResponse))
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapPost("/{id}/reconstruct", ModelImagesApi.ReconstructAsync)
            .WithSummary("Encodes a PNG and decodes its mean code: the model's reconstruction, as a PNG.")
            .AcceptsBody<byte[]>(Png)
            .ProducesImage()
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapGet("/{id}/samples.png", ModelImagesApi.SamplesAsync)
            .WithSummary("Images decoded from codes drawn from the prior, N(0, temperature² I); the same seed gives the same PNG.")
            .WithDescription("A conditional model draws the class given by ?label= (required); an unconditional one refuses it.")
            .ProducesImage()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesModelLookup().ProducesQueryProblems();
        models.MapPost("/{id}/interpolate", ModelImagesApi.InterpolateAsync)
            .WithSummary("Decodes a path from one code (or PNG) to another as a PNG strip, or as JSON with Accept: application/json.")
            .WithDescription("A conditional model needs ?label=: the class of the whole path, PNG ends included.")
            .AcceptsBody<InterpolateRequest>(Json)
            .ProducesImage(typeof(InterpolationResponse))
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapGet("/{id}/manifold.png", ModelImagesApi.ManifoldAsync)
            .WithSummary("Decoded grid over two latent dimensions, the others 0: columns -range..+range, rows +range (top)..-range.")
            .ProducesImage()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesModelLookup().ProducesQueryProblems();
        models.MapGet("/{id}/latents", ModelCodesApi.LatentsAsync)
            .WithSummary("Mean codes and labels (null for an unlabelled dataset) of the first images of a split of the model's dataset.")
            .Produces<LatentsResponse>()
            .ProducesModelLookup().ProducesQueryProblems()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>404 for an unknown id; 409 for "default" while the first MNIST model is still training.</summary>
    private static RouteHandlerBuilder ProducesModelLookup(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict);

    /// <summary>Query values that cannot be parsed (400) or are out of range (422).</summary>
    private static RouteHandlerBuilder ProducesQueryProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    /// <summary>What a body read by the handler can bring: malformed, too large, of another type, out of range.</summary>
    private static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder builder) => builder
        .ProducesQueryProblems()
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>A PNG grid with its layout headers; with <paramref name="json"/>, that body too for Accept: application/json.</summary>
    private static RouteHandlerBuilder ProducesImage(this RouteHandlerBuilder builder, Type? json = null)
    {
        // The PNG's schema becomes a binary string in the OpenAPI document (ApiDocs); the type only makes the content appear.
        builder = json is null ? builder.Produces(StatusCodes.Status200OK, typeof(byte[]), Png) : builder.Produces(StatusCodes.Status200OK, json, Png, Json);
        return builder.WithResponseHeaders(StatusCodes.Status200OK, GridLayout.Headers);
    }

    // ---- records ----

    private static async Task<Ok<ModelList>> ListAsync(
        ModelStore store, CancellationToken ct,
        [Description("Only the models of this dataset (mnist, fashion-mnist, cifar10 or an upload's id); an unknown one gives an empty list.")] string? dataset = null)
    {
        var all = await store.ListAsync(ct);
        var chosen = dataset is null ? all : all.Where(m => string.Equals(m.Dataset, dataset, StringComparison.OrdinalIgnoreCase));
        return TypedResults.Ok(new ModelList(chosen.Select(m => m.AsView()).ToList()));
    }

    private static async Task<Results<Ok<ModelView>, ProblemHttpResult>> GetAsync(string id, [AsParameters] ModelServices models, CancellationToken ct)
    {
        var record = await models.Cache.ResolveAsync(id, ct);
        return record is null ? await models.MissingAsync(id, ct) : TypedResults.Ok(record.AsView());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, ModelStore store, CancellationToken ct)
    {
        if (ModelCache.IsDefault(id))
            return Problems.BadRequest("Delete a model by its id, not by 'default' (which would then name the next model). GET /api/models/default shows its id.");
        // The store tells the model cache, which drops the loaded model and the remembered records.
        bool deleted = await store.DeleteAsync(id, ct);
        return deleted ? TypedResults.NoContent() : ModelServices.NotFound(id);
    }

    private static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> WeightsAsync(
        string id, ModelStore store, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        string path = store.PathOf(record.Id);
        if (!File.Exists(path)) return Problems.NotFound($"The weights of model '{record.Id}' are gone; it was probably deleted just now.");
        return TypedResults.PhysicalFile(path, "application/octet-stream", record.Id + ".safetensors",
            entityTag: new EntityTagHeaderValue($"\"{record.Id}\""), enableRangeProcessing: true);
    }
}
