using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Imaging;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Vae.Api.Models;

/// <summary>What the model endpoints use, bound as one [AsParameters] argument, with the steps they share.</summary>
public sealed record ModelServices(ModelCache Cache, ModelStore Store, InferenceService Inference, IImageCodec Images, RenderedImageCache Rendered,
    IOptions<ModelsOptions> Options, IOptions<HttpJsonOptions> Json)
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

    /// <summary>
    /// A deterministic grid of <paramref name="count"/> images, <paramref name="what"/> naming it as
    /// the ETag does: from <see cref="Rendered"/> when this node served it before, else decoded by
    /// <paramref name="decode"/> into the rows it is given, drawn as <see cref="Grid"/> does, and kept.
    /// The caller has written the layout's headers already: a 304 carries them too.
    /// </summary>
    public FileContentHttpResult DeterministicGrid(HttpRequest request, ModelRecord record, string what, int count, GridLayout layout, Action<float[]> decode)
    {
        var format = ContentNegotiation.GridFormat(request);
        string key = $"{record.Id}|{what}|{RenderVersion}";
        if (!Rendered.TryGet(key, out byte[] bytes))
        {
            using var images = new PooledFloats(count * record.Config.InputSize);
            decode(images.Array);
            bytes = ModelImages.Render(Images, images.Array, record.Config, layout, format);
            Rendered.Add(key, bytes);
        }

        return TypedResults.File(bytes, ImageFormats.MediaType(format));
    }

    /// <summary>The request body, refused with 413 over Models:MaxBodyBytes.</summary>
    public Task<RequestBody> ReadBodyAsync(HttpRequest request, CancellationToken ct) => RequestBody.ReadAsync(request, Limits.MaxBodyBytes,
        $"The body is larger than the {Limits.MaxBodyBytes} bytes this service accepts (Models:MaxBodyBytes); send a smaller image or fewer values per request.", ct);

    /// <summary>The problem of a reference that names no model: 404, or 409 when its model is still being trained (see <see cref="ModelStore.ExplainMissingAsync"/>).</summary>
    public async Task<ProblemHttpResult> MissingAsync(string reference, CancellationToken ct)
    {
        var (status, detail) = await Store.ExplainMissingAsync(reference, ct);
        return status == StatusCodes.Status409Conflict ? Problems.Conflict(detail) : Problems.NotFound(detail);
    }

    /// <summary>404 for a model id that was there a moment ago (deleted while the request was served).</summary>
    public static ProblemHttpResult NotFound(string id)
        => Problems.NotFound($"There is no model '{id}' (it was deleted). GET /api/models lists the models there are.");

    /// <summary>
    /// Caching headers of a deterministic image, and whether the client already has it. A model id or
    /// name@version never changes its images; an alias or a bare name may name another model
    /// tomorrow, so its images are revalidated, and the ETag carries the model it named.
    /// </summary>
    public static bool Cached(HttpContext http, string reference, ModelRecord record, string what)
        => ConditionalGet.Cached(http, $"{record.Id}|{what}|{RenderVersion}", immutable: ModelStore.IsPinned(reference, record));
}
