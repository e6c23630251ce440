using Vae.Api.Infrastructure;
using Vae.Api.Security;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>
/// Trained models and what can be done with them: list, inspect, download and delete them; encode
/// images, decode codes, reconstruct, sample, interpolate, draw the latent manifold and the
/// dataset's codes, score how unusual images are, and move them along stored latent directions. Every
/// {id} is a model reference: an id, an alias ("default", see <see cref="AliasesApi"/>), name@version
/// or a name (its newest version), looked up in that order (<see cref="ModelNames"/>). A conditional model takes a
/// class label wherever it draws or reads an image (query or body <c>label</c>, or body <c>labels</c>
/// with one label per item); an unconditional one refuses labels. The handlers live in
/// <see cref="ModelRecordsApi"/>, <see cref="ModelCodesApi"/>, <see cref="ModelImagesApi"/>,
/// <see cref="ScoringApi"/> (anomaly scores) and <see cref="DirectionsApi"/> (latent arithmetic).
/// </summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/models").WithTags("Models").RequireRateLimiting(SecurityExtensions.RatePolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ValidateQueries<ModelsOptions>();

        models.MapGet("/", ModelRecordsApi.ListAsync)
            .WithSummary("Lists the trained models, newest first, a page at a time, optionally those of one dataset or one name.")
            .WithDescription("Each page holds at most limit models; nextCursor, passed back as ?cursor=, gives the next one (null on the last page). "
                + "An unknown query parameter is a 400 naming it; a limit or cursor out of range a 422.")
            .RejectsUnknownQuery<ModelListQuery>()
            .Produces<ModelList>()
            .ProducesQueryProblems();
        models.MapGet("/{id}", ModelRecordsApi.GetAsync)
            .WithSummary("A model: name, version, aliases, configuration, dataset, class names, metrics per epoch, evaluation, creation time, size.")
            .WithDescription("{id} is a model id, an alias, name@version, or a name (its newest version), looked up in that order.")
            .ProducesModelLookup();
        models.MapGet("/{id}/versions", ModelRecordsApi.VersionsAsync)
            .WithSummary("The versions of a model's name, newest first, a page at a time.")
            .WithDescription("{id} is a name, or anything else that names a model of that name (an id, an alias, name@version).")
            .RejectsUnknownQuery<VersionListQuery>()
            .Produces<ModelList>()
            .ProducesModelLookup().ProducesQueryProblems();
        models.MapGet("/{id}/versions/{version}", ModelRecordsApi.VersionAsync)
            .WithSummary("One version of a model's name: the same record as GET /api/models/{name}@{version}.")
            .Produces<ModelView>()
            .ProducesModelLookup().ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        models.MapDelete("/{id}", ModelRecordsApi.DeleteAsync)
            .WithSummary("Deletes a model (needs write access).")
            .WithDescription("By its id or name@version only: an alias or a bare name is refused (400), since it may name another model by the time the request arrives. "
                + "Aliases that named the model stay, and answer 404 saying so until they are moved.")
            .RequireWriteAccess()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesModelLookup()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        models.MapGet("/{id}/weights", ModelRecordsApi.WeightsAsync)
            .WithSummary("The model's safetensors file: weights, with the configuration and metrics in its metadata.")
            .Produces(StatusCodes.Status200OK, typeof(byte[]), "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent, typeof(byte[]), "application/octet-stream")
            .Produces(StatusCodes.Status304NotModified)
            .Produces(StatusCodes.Status416RangeNotSatisfiable)
            .ProducesModelLookup();
        models.MapModelTransfer();

        models.MapPost("/{id}/encode", ModelCodesApi.EncodeAsync)
            .WithSummary("Encodes images: an image body (PNG, JPEG, WebP or BMP), or JSON {\"pixels\": [...]} or {\"batch\": [[...], ...]} with values in [0, 1].")
            .WithDescription("An image of any size is scaled to the model's input: a colour model reads its RGB, scaled to cover the model's size and centre-cropped; "
                + "a gray model reads its luminance (see invert), centred like MNIST's digits for MNIST models. A conditional model needs the class: ?label= for an image body; "
                + "for JSON, ?label= or \"label\" for every image, or \"labels\" with one per image.")
            .AcceptsBody<EncodeRequest>([Json, .. ImageTypes])
            .ReadsImages()
            .Produces<EncodeResponse>()
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapPost("/{id}/decode", ModelImagesApi.DecodeAsync)
            .WithSummary("Decodes latent codes into a PNG grid (WebP with Accept: image/webp), or into pixel values with Accept: application/json.")
            .WithDescription("A conditional model needs the class: \"labels\" with one per code, or \"label\" or ?label= for all of them. "
                + "A colour model answers an RGB image; JSON images are channel-major.")
            .AcceptsBody<DecodeRequest>(Json)
            .ProducesImage(typeof(ImagesResponse))
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapPost("/{id}/reconstruct", ModelImagesApi.ReconstructAsync)
            .WithSummary("Encodes an image and decodes its mean code: the model's reconstruction, as a PNG (WebP with Accept: image/webp).")
            .WithDescription("The image (PNG, JPEG, WebP or BMP) is read as encode reads it; a conditional model needs ?label=, the class of both passes.")
            .AcceptsBody<byte[]>(ImageTypes)
            .ReadsImages()
            .ProducesImage()
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapGet("/{id}/samples.png", ModelImagesApi.SamplesAsync)
            .WithSummary("Images decoded from codes drawn from the prior, N(0, temperature² I), as a PNG grid (WebP with Accept: image/webp); the same seed gives the same image.")
            .WithDescription("A conditional model draws the class given by ?label= (required); an unconditional one refuses it.")
            .ProducesImage()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesModelLookup().ProducesQueryProblems();
        models.MapPost("/{id}/interpolate", ModelImagesApi.InterpolateAsync)
            .WithSummary("Decodes a path from one code (or image) to another as a PNG strip (WebP with Accept: image/webp), or as JSON with Accept: application/json.")
            .WithDescription("An end given as {\"png\": \"<base64>\"} may be a PNG, JPEG, WebP or BMP file, read as encode reads it. "
                + "A conditional model needs ?label= or \"label\": the class of the whole path, image ends included.")
            .AcceptsBody<InterpolateRequest>(Json)
            .ReadsImages()
            .ProducesImage(typeof(InterpolationResponse))
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapGet("/{id}/manifold.png", ModelImagesApi.ManifoldAsync)
            .WithSummary("Decoded grid over two latent dimensions, the others 0: columns -range..+range, rows +range (top)..-range; PNG, or WebP with Accept: image/webp.")
            .WithDescription("A conditional model draws the class given by ?label= (required); an unconditional one refuses it.")
            .ProducesImage()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesModelLookup().ProducesQueryProblems();
        models.MapGet("/{id}/latents", ModelCodesApi.LatentsAsync)
            .WithSummary("Mean codes and labels (null for an unlabelled dataset) of the first images of a split of the model's dataset.")
            .Produces<LatentsResponse>()
            .ProducesModelLookup().ProducesQueryProblems()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        models.MapPost("/{id}/score", ScoringApi.ScoreAsync)
            .WithSummary("How unusual images are to the model: negative ELBO, IWAE estimate of -log p(x) and reconstruction term in nats, and the percentile among its test images.")
            .WithDescription("The body is one image (PNG, JPEG, WebP or BMP), a zip of images (application/zip, answered in the order of their paths) or JSON "
                + "{\"images\": [...]} with each image a base64 image file or a list of pixel values in [0, 1]; images are read as encode reads them. "
                + "k importance samples (query or body; by default Models:ScoreSamples, at most Models:MaxScoreSamples) give the IWAE estimate. "
                + "The percentile is the share of the model's test images whose IWAE estimate (from the distribution's k samples) is lower; "
                + "a plain autoencoder has no likelihood, so it answers the reconstruction term only and ranks by it. The test-set distribution "
                + "is computed on the first request that needs it and kept with the model (GET /api/models/{id}/scores shows it). "
                + "A conditional model needs the class: ?label= or \"label\" for every image, or \"labels\" with one per image.")
            .AcceptsBody<ScoreRequest>([Json, .. ImageTypes, ImageArchive.ContentType])
            .ReadsImages()
            .Produces<ScoreResponse>()
            .ProducesModelLookup().ProducesBodyProblems();
        models.MapGet("/{id}/scores", ScoringApi.HistogramAsync)
            .WithSummary("The histogram of the scores of the model's test images, which percentiles are read from; computed on first use, then kept with the model.")
            .Produces<ScoreHistogram>()
            .ProducesModelLookup().ProducesQueryProblems()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        models.MapGet("/{id}/directions", DirectionsApi.ListAsync)
            .WithSummary("The latent directions stored with the model.")
            .Produces<DirectionList>()
            .ProducesModelLookup();
        models.MapGet("/{id}/directions/{name}", DirectionsApi.GetAsync)
            .WithSummary("One stored latent direction.")
            .Produces<DirectionView>()
            .ProducesModelLookup();
        models.MapPost("/{id}/directions", DirectionsApi.CreateAsync)
            .WithSummary("Computes a latent direction, the mean code of \"to\" minus the mean code of \"from\", and stores it with the model under its name (needs write access).")
            .WithDescription("Each group is {\"label\": k}, the test images of class k of the model's dataset (at most limit of them), or "
                + "{\"images\": [...]}, base64 images or pixel lists read as encode reads them (a conditional model reads them as the class in ?label= or \"label\"). "
                + "A name is stored once: 409 when the model has it already (delete it first to replace it). Answers 201 with the direction and its Location.")
            .RequireWriteAccess()
            .AcceptsBody<DirectionRequest>(Json)
            .ReadsImages()
            .Produces<DirectionView>(StatusCodes.Status201Created)
            .ProducesModelLookup().ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        models.MapDelete("/{id}/directions/{name}", DirectionsApi.DeleteAsync)
            .WithSummary("Deletes a stored latent direction (needs write access).")
            .RequireWriteAccess()
            .Produces(StatusCodes.Status204NoContent)
            .ProducesModelLookup()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        models.MapPost("/{id}/edit", DirectionsApi.EditAsync)
            .WithSummary("Moves an image (or a code) along a stored direction: code + amount x direction for each amount, decoded as a PNG strip (WebP with Accept: image/webp), or as JSON with Accept: application/json.")
            .WithDescription("The image is a base64 image file (PNG, JPEG, WebP or BMP) or a list of pixel values, read as encode reads it, and moved from its mean code; amounts default to -2, -1, 0, 1, 2. "
                + "A conditional model needs ?label= or \"label\": the class of the image and of every decoded image.")
            .AcceptsBody<EditRequest>(Json)
            .ReadsImages()
            .ProducesImage(typeof(EditResponse))
            .ProducesModelLookup().ProducesBodyProblems();
        return app;
    }

    /// <summary>404 for a reference that names no model; 409 for one whose model is still being trained (an alias set to a job's model, a name whose first job runs).</summary>
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

    /// <summary>A PNG (or WebP) grid with its layout headers; with <paramref name="json"/>, that body too for Accept: application/json.</summary>
    private static RouteHandlerBuilder ProducesImage(this RouteHandlerBuilder builder, Type? json = null)
    {
        // The image's schema becomes a binary string in the OpenAPI document (ApiDocs); the type only makes the content appear.
        builder = json is null ? builder.Produces(StatusCodes.Status200OK, typeof(byte[]), Png, Webp) : builder.Produces(StatusCodes.Status200OK, json, Png, Webp, Json);
        return builder.WithResponseHeaders(StatusCodes.Status200OK, GridLayout.Headers);
    }
}
