using Vae.Api.Infrastructure;
using Vae.Api.Security;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>
/// Trained models and what can be done with them: list, inspect, download and delete them; encode
/// images, decode codes, reconstruct, sample, interpolate, draw the latent manifold and the
/// dataset's codes. The id "default" names the newest MNIST model. A conditional model takes a
/// class label wherever it draws or reads an image (query or body <c>label</c>, or body <c>labels</c>
/// with one label per item); an unconditional one refuses labels. The handlers live in
/// <see cref="ModelRecordsApi"/>, <see cref="ModelCodesApi"/> and <see cref="ModelImagesApi"/>.
/// </summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/models").WithTags("Models").RequireRateLimiting(SecurityExtensions.RatePolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ValidateQueries<ModelsOptions>();

        models.MapGet("/", ModelRecordsApi.ListAsync)
            .WithSummary("Lists the trained models, newest first, optionally those of one dataset.");
        models.MapGet("/{id}", ModelRecordsApi.GetAsync)
            .WithSummary("A model: configuration, dataset, class names, metrics per epoch, evaluation, creation time, size.")
            .ProducesModelLookup();
        models.MapDelete("/{id}", ModelRecordsApi.DeleteAsync)
            .WithSummary("Deletes a model (needs write access).")
            .RequireWriteAccess()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        models.MapGet("/{id}/weights", ModelRecordsApi.WeightsAsync)
            .WithSummary("The model's safetensors file: weights, with the configuration and metrics in its metadata.")
            .Produces(StatusCodes.Status200OK, typeof(byte[]), "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent, typeof(byte[]), "application/octet-stream")
            .Produces(StatusCodes.Status304NotModified)
            .Produces(StatusCodes.Status416RangeNotSatisfiable)
            .ProducesModelLookup();

        models.MapPost("/{id}/encode", ModelCodesApi.EncodeAsync)
            .WithSummary("Encodes images: a PNG body (image/png), or JSON {\"pixels\": [...]} or {\"batch\": [[...], ...]} with values in [0, 1].")
            .WithDescription("A colour model reads a PNG of its own size (422 names the size otherwise); a gray model reads the luminance of a PNG "
                + "of any size (see invert), centred like MNIST's digits for MNIST models. A conditional model needs the class: ?label= for a PNG; "
                + "for JSON, ?label= or \"label\" for every image, or \"labels\" with one per image.")
            .AcceptsBody<EncodeRequest>(Json, Png)
            .Produces<EncodeResponse>()
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapPost("/{id}/decode", ModelImagesApi.DecodeAsync)
            .WithSummary("Decodes latent codes into a PNG grid, or into pixel values with Accept: application/json.")
            .WithDescription("A conditional model needs the class: \"labels\" with one per code, or \"label\" or ?label= for all of them. "
                + "A colour model answers an RGB PNG; JSON images are channel-major.")
            .AcceptsBody<DecodeRequest>(Json)
            .ProducesImage(typeof(ImagesResponse))
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapPost("/{id}/reconstruct", ModelImagesApi.ReconstructAsync)
            .WithSummary("Encodes a PNG and decodes its mean code: the model's reconstruction, as a PNG.")
            .WithDescription("The PNG is read as encode reads it; a conditional model needs ?label=, the class of both passes.")
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
            .WithDescription("A conditional model needs ?label= or \"label\": the class of the whole path, PNG ends included.")
            .AcceptsBody<InterpolateRequest>(Json)
            .ProducesImage(typeof(InterpolationResponse))
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapGet("/{id}/manifold.png", ModelImagesApi.ManifoldAsync)
            .WithSummary("Decoded grid over two latent dimensions, the others 0: columns -range..+range, rows +range (top)..-range.")
            .WithDescription("A conditional model draws the class given by ?label= (required); an unconditional one refuses it.")
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
}
