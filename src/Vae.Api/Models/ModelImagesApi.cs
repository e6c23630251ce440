using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Engine.Imaging;
using Vae.Engine.Models;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>
/// The endpoints that draw: samples of the prior, decoded codes, reconstructions, interpolations
/// and the latent manifold. Grids are PNGs (colour for a colour model), or lossless WebPs for a
/// client that ranks image/webp above image/png, with their layout in the X-Grid-* headers (see
/// <see cref="GridLayout"/>); decode and interpolate answer JSON values when asked for.
/// </summary>
internal static class ModelImagesApi
{
    private static readonly StatusCodeHttpResult NotModified = TypedResults.StatusCode(StatusCodes.Status304NotModified);

    public static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> SamplesAsync(
        string id, HttpContext http, [AsParameters] SamplesQuery query, [AsParameters] GridQuery grid, [AsParameters] LabelQuery label,
        [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var (labels, badLabel) = Conditioning.Resolve(record, label.Label, null, query.N);
        if (badLabel is not null) return badLabel;
        var layout = GridLayout.For(query.N, record.Config, grid.Columns ?? GridLayout.SquareColumns(query.N), grid.Scale, GridLayout.DefaultPadding);
        if (layout.CheckSize() is { } tooBig) return tooBig;
        layout.WriteHeaders(http.Response);
        http.Response.Headers.Vary = "Accept";
        string key = string.Create(CultureInfo.InvariantCulture,
            $"samples|{query.N}|{query.Seed}|{query.Temperature:R}|{layout.Columns}|{grid.Scale}|{Conditioning.Key(label.Label)}|{GridFormat(http.Request)}");
        if (ModelServices.Cached(http, id, record, key)) return NotModified;

        return models.DeterministicGrid(http.Request, record, key, query.N, layout,
            images => models.Inference.Sample(models.Cache.Get(record), query.N, unchecked((ulong)query.Seed), query.Temperature, labels, images));
    }

    public static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> ManifoldAsync(
        string id, HttpContext http, [AsParameters] ManifoldQuery query, [AsParameters] LabelQuery label, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        if (query.Check(config.LatentDim, record.Id) is { } badDims) return Problems.Invalid(badDims.Parameter, badDims.Message);
        int count = query.N * query.N;
        var (labels, badLabel) = Conditioning.Resolve(record, label.Label, null, count);
        if (badLabel is not null) return badLabel;
        var layout = GridLayout.For(count, config, query.N, query.Scale, padding: 0);
        if (layout.CheckSize() is { } tooBig) return tooBig;
        layout.WriteHeaders(http.Response);
        http.Response.Headers.Vary = "Accept";
        string key = string.Create(CultureInfo.InvariantCulture,
            $"manifold|{query.N}|{query.Range:R}|{query.X}|{query.Y}|{query.Scale}|{Conditioning.Key(label.Label)}|{GridFormat(http.Request)}");
        if (ModelServices.Cached(http, id, record, key)) return NotModified;

        return models.DeterministicGrid(http.Request, record, key, count, layout, images => models.Inference.Decode(
            models.Cache.Get(record), InferenceService.ManifoldLatents(config.LatentDim, query.N, query.Range, query.X, query.Y), count, labels, images));
    }

    public static async Task<Results<FileContentHttpResult, Ok<ImagesResponse>, ProblemHttpResult>> DecodeAsync(
        string id, HttpRequest request, [AsParameters] GridQuery grid, [AsParameters] LabelQuery label, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (ContentKind(request) != BodyKind.Json) return UnsupportedContentType(request, Json);
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        using var body = await models.ReadBodyAsync(request, ct);
        if (body.Problem is { } tooLarge) return tooLarge;

        var (parsed, problem) = JsonBody.Parse<DecodeRequest>(body.Span, models.JsonOptions, "{\"latents\": [[...], ...], \"labels\": [...]} or {\"latent\": [...], \"label\": 0}");
        if (problem is not null) return problem;
        if ((parsed!.Latent is null) == (parsed.Latents is null))
            return Problems.BadRequest($"Send exactly one of \"latent\" (one code) and \"latents\" (a list of codes), each {config.LatentDim} numbers.");
        var rows = parsed.Latents ?? [parsed.Latent!];
        string name = parsed.Latents is null ? "latent" : "latents";
        if (BodyRows.CheckCount(rows.Length, models.Limits.MaxBatch, "latents", "codes") is { } badCount) return badCount;
        if (BodyRows.CheckRows(rows, config.LatentDim, name, "numbers", unitRange: false, single: parsed.Latents is null) is { } badRows) return badRows;
        var (labels, badLabel) = Conditioning.Resolve(record, label.Label, parsed.Label, parsed.Labels, rows.Length, name);
        if (badLabel is not null) return badLabel;

        bool asJson = PrefersJson(request);
        int count = rows.Length;
        var layout = GridLayout.For(count, config, grid.Columns ?? GridLayout.SquareColumns(count), grid.Scale, count == 1 ? 0 : GridLayout.DefaultPadding);
        if (!asJson && layout.CheckSize() is { } tooBig) return tooBig;

        request.HttpContext.Response.Headers.Vary = "Accept";
        using var latents = new PooledFloats(count * config.LatentDim);
        using var images = new PooledFloats(count * config.InputSize);
        BodyRows.Flatten(rows, config.LatentDim, latents.Array);
        models.Inference.Decode(models.Cache.Get(record), latents.Array, count, labels, images.Array);
        if (asJson) return TypedResults.Ok(new ImagesResponse(ModelImages.Rows(images.Array, count, config.InputSize), config.Channels, config.Height, config.Width));
        return models.Grid(request, images.Array, config, layout);
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ReconstructAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] ScaleQuery scale, [AsParameters] LabelQuery label,
        [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (ContentKind(request) != BodyKind.Image) return UnsupportedContentType(request, ImageTypeNames);
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        var (labels, badLabel) = Conditioning.Resolve(record, label.Label, null, 1);
        if (badLabel is not null) return badLabel;
        var layout = GridLayout.For(1, config, 1, scale.Scale, padding: 0);
        if (layout.CheckSize() is { } tooBig) return tooBig;
        using var body = await models.ReadBodyAsync(request, ct);
        if (body.Problem is { } tooLarge) return tooLarge;
        if (ModelImages.ReadUpload(models.Images, body.Memory, input.InvertValue, record, out var pixels) is { } badImage) return badImage;

        using var image = new PooledFloats(config.InputSize);
        models.Inference.Reconstruct(models.Cache.Get(record), pixels, labels, image.Array);
        request.HttpContext.Response.Headers.Vary = "Accept";
        return models.Grid(request, image.Array, config, layout);
    }

    public static async Task<Results<FileContentHttpResult, Ok<InterpolationResponse>, ProblemHttpResult>> InterpolateAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] GridQuery grid, [AsParameters] LabelQuery label,
        [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (ContentKind(request) != BodyKind.Json) return UnsupportedContentType(request, Json);
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        using var body = await models.ReadBodyAsync(request, ct);
        if (body.Problem is { } tooLarge) return tooLarge;

        var (parsed, problem) = JsonBody.Parse<InterpolateRequest>(body.Span, models.JsonOptions,
            "{\"from\": {\"latent\": [...]} or {\"png\": \"<base64 image>\"}, \"to\": ..., \"steps\": 10, \"method\": \"linear\"}");
        if (problem is not null) return problem;
        int steps = parsed!.Steps, maxSteps = models.Limits.MaxInterpolationSteps;
        if (steps < 2 || steps > maxSteps)
            return Problems.Invalid("steps", $"steps must be between 2 and {maxSteps} (both ends are included), got {steps}.");
        bool spherical;
        if (string.Equals(parsed.Method, "linear", StringComparison.OrdinalIgnoreCase)) spherical = false;
        else if (string.Equals(parsed.Method, "slerp", StringComparison.OrdinalIgnoreCase)) spherical = true;
        else return Problems.Invalid("method", $"method must be \"linear\" or \"slerp\", got \"{parsed.Method}\".");
        var (labels, badLabel) = Conditioning.Resolve(record, label.Label, parsed.Label, null, steps);
        if (badLabel is not null) return badLabel;

        bool asJson = PrefersJson(request);
        var layout = GridLayout.For(steps, config, grid.Columns ?? steps, grid.Scale, GridLayout.DefaultPadding);
        if (!asJson && layout.CheckSize() is { } tooBig) return tooBig;

        var model = models.Cache.Get(record);
        var endLabels = labels?[..1];
        var (from, fromProblem) = LatentOf(parsed.From, "from", record, input.InvertValue, endLabels, model, models);
        if (fromProblem is not null) return fromProblem;
        var (to, toProblem) = LatentOf(parsed.To, "to", record, input.InvertValue, endLabels, model, models);
        if (toProblem is not null) return toProblem;

        var path = InferenceService.Interpolate(from!, to!, steps, spherical);
        request.HttpContext.Response.Headers.Vary = "Accept";
        using var images = new PooledFloats(steps * config.InputSize);
        models.Inference.Decode(model, path, steps, labels, images.Array);
        if (asJson)
            return TypedResults.Ok(new InterpolationResponse(ModelImages.Rows(path, steps, config.LatentDim),
                ModelImages.Rows(images.Array, steps, config.InputSize), config.Channels, config.Height, config.Width));
        return models.Grid(request, images.Array, config, layout);
    }

    /// <summary>The code of an interpolation end: the given latent, or the mean code of the given image.</summary>
    private static (float[]? Latent, ProblemHttpResult? Problem) LatentOf(InterpolationPoint? point, string name, Storage.ModelRecord record,
        bool? invert, int[]? labels, AutoencoderModel model, ModelServices models)
    {
        var config = record.Config;
        if (point is null || (point.Latent is null) == (point.Png is null))
            return (null, Problems.BadRequest($"\"{name}\" needs exactly one of {{\"latent\": [{config.LatentDim} numbers]}} and {{\"png\": \"<base64 image: {ImageFormats.Names}>\"}}."));
        if (point.Latent is { } latent)
        {
            var bad = BodyRows.CheckRows([latent], config.LatentDim, name + ".latent", "numbers", unitRange: false, single: true);
            return bad is null ? (latent, null) : (null, bad);
        }

        byte[] file;
        try { file = Convert.FromBase64String(point.Png!); }
        catch (FormatException) { return (null, Problems.BadRequest($"\"{name}.png\" is not valid base64; send the image file's bytes ({ImageFormats.Names}) base64-encoded (no data: prefix).")); }
        if (ModelImages.ReadUpload(models.Images, file, invert, record, out var pixels) is { } badImage)
        {
            badImage.ProblemDetails.Detail = $"\"{name}.png\": {badImage.ProblemDetails.Detail}";
            return (null, badImage);
        }
        return (models.Inference.Encode(model, pixels, 1, labels).Mu, null);
    }
}
