using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Imaging;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Vae.Api.Models;

/// <summary>What the model endpoints use, bound as one [AsParameters] argument, with the steps they share.</summary>
public sealed record ModelServices(ModelCache Cache, InferenceService Inference, IImageCodec Images, IOptions<ModelsOptions> Options, IOptions<HttpJsonOptions> Json)
{
    // Part of every ETag: bump it when rendering changes, so caches drop old images.
    private const string RenderVersion = "2";

    public ModelsOptions Limits => Options.Value;

    public JsonSerializerOptions JsonOptions => Json.Value.SerializerOptions;

    /// <summary>
    /// Rows of decoded values drawn as the grid <paramref name="layout"/> describes, in the format the
    /// client prefers (<see cref="ContentNegotiation.GridFormat"/>: PNG, or lossless WebP when asked
    /// for), with the layout in the X-Grid-* headers.
    /// </summary>
    public FileContentHttpResult Grid(HttpRequest request, ReadOnlySpan<float> images, Vae.Engine.Models.ModelConfig config, GridLayout layout)
    {
        var format = ContentNegotiation.GridFormat(request);
        layout.WriteHeaders(request.HttpContext.Response);
        return TypedResults.File(ModelImages.Render(Images, images, config, layout, format), ImageFormats.MediaType(format));
    }

    /// <summary>The request body, refused with 413 over Models:MaxBodyBytes.</summary>
    public Task<RequestBody> ReadBodyAsync(HttpRequest request, CancellationToken ct) => RequestBody.ReadAsync(request, Limits.MaxBodyBytes,
        $"The body is larger than the {Limits.MaxBodyBytes} bytes this service accepts (Models:MaxBodyBytes); send a smaller image or fewer values per request.", ct);

    /// <summary>404, or 409 when "default" is asked for while the first MNIST model is still training.</summary>
    public async Task<ProblemHttpResult> MissingAsync(string id, CancellationToken ct)
    {
        if (ModelCache.IsDefault(id) && await Cache.PendingDefaultAsync(ct) is { } job)
            return Problems.Conflict($"The first MNIST model is still being trained by job '{job.Id}' ({job.Status.ToString().ToLowerInvariant()}, "
                + $"{job.Epochs.Count} of {job.Request.Epochs} epochs done); retry when GET /api/jobs/{job.Id} shows it succeeded.");
        return NotFound(id);
    }

    public static ProblemHttpResult NotFound(string id) => ModelCache.IsDefault(id)
        ? Problems.NotFound("There is no trained MNIST model yet, so 'default' names nothing. Start training with POST /api/jobs "
            + "(an empty JSON body {} trains the default MNIST VAE) and retry once GET /api/jobs/{id} shows it succeeded.")
        : Problems.NotFound($"There is no model '{id}'. GET /api/models lists the models, or use 'default' for the newest MNIST model.");

    /// <summary>
    /// Caching headers of a deterministic image, and whether the client already has it. A concrete
    /// model id never changes its images; "default" may name another model tomorrow, so its images
    /// are revalidated, and the ETag carries the model it named.
    /// </summary>
    public static bool Cached(HttpContext http, string id, ModelRecord record, string what)
        => ConditionalGet.Cached(http, $"{record.Id}|{what}|{RenderVersion}", immutable: !ModelCache.IsDefault(id));
}
