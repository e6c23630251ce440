using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Security;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Imaging;
using Vae.Engine.Models;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Vae.Api.Models;

/// <summary>
/// Trained models and what can be done with them: list, inspect, download and delete them; encode
/// images, decode codes, reconstruct, sample, interpolate, draw the latent manifold and the
/// dataset's codes. The id "default" names the newest MNIST model.
/// </summary>
public static class ModelsApi
{
    public const int MaxScale = 8;
    public const int MaxColumns = 256;
    public const float MaxManifoldRange = 100f;

    private const string Png = "image/png";
    private const string Json = "application/json";
    // Part of every ETag: bump it when rendering changes, so caches drop old images.
    private const string RenderVersion = "1";

    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/models").WithTags("Models").RequireRateLimiting(SecurityExtensions.RatePolicy)
            // "default" answers 409 while the first MNIST model is still training.
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status409Conflict, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));

        models.MapGet("/", ListAsync)
            .WithSummary("Lists the trained models, newest first.");
        models.MapGet("/{id}", GetAsync)
            .WithSummary("A model: configuration, dataset, metrics per epoch, creation time, size.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        models.MapDelete("/{id}", DeleteAsync)
            .WithSummary("Deletes a model (needs write access).")
            .RequireWriteAccess()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        models.MapGet("/{id}/weights", WeightsAsync)
            .WithSummary("The model's safetensors file: weights, with the configuration and metrics in its metadata.")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);

        models.MapPost("/{id}/encode", EncodeAsync)
            .WithSummary("Encodes images: a PNG body (image/png), or JSON {\"pixels\": [...]} or {\"batch\": [[...], ...]} with values in [0, 1].")
            .AcceptsBody<EncodeRequest>(Json, Png)
            .ProducesInference();
        models.MapPost("/{id}/decode", DecodeAsync)
            .WithSummary("Decodes latent codes into a PNG grid, or into pixel values with Accept: application/json.")
            .AcceptsBody<DecodeRequest>(Json)
            .Produces(StatusCodes.Status200OK, typeof(ImagesResponse), Png, Json)
            .ProducesInference();
        models.MapPost("/{id}/reconstruct", ReconstructAsync)
            .WithSummary("Encodes a PNG and decodes its mean code: the model's reconstruction, as a PNG.")
            .AcceptsBody<byte[]>(Png)
            .Produces(StatusCodes.Status200OK, contentType: Png)
            .ProducesInference();
        models.MapGet("/{id}/samples.png", SamplesAsync)
            .WithSummary("Images decoded from codes drawn from the prior, N(0, temperature² I); the same seed gives the same PNG.")
            .Produces(StatusCodes.Status200OK, contentType: Png)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesInference();
        models.MapPost("/{id}/interpolate", InterpolateAsync)
            .WithSummary("Decodes a path from one code (or PNG) to another as a PNG strip, or as JSON with Accept: application/json.")
            .AcceptsBody<InterpolateRequest>(Json)
            .Produces(StatusCodes.Status200OK, typeof(InterpolationResponse), Png, Json)
            .ProducesInference();
        models.MapGet("/{id}/manifold.png", ManifoldAsync)
            .WithSummary("Decoded grid over two latent dimensions, the others 0: columns -range..+range, rows +range (top)..-range.")
            .Produces(StatusCodes.Status200OK, contentType: Png)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesInference();
        models.MapGet("/{id}/latents", LatentsAsync)
            .WithSummary("Mean codes and labels of the first images of a split of the model's dataset.")
            .Produces<LatentsResponse>()
            .ProducesInference()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static RouteHandlerBuilder ProducesInference(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    // ---- records ----

    private static async Task<Ok<ModelList>> ListAsync(ModelStore store, CancellationToken ct)
    {
        var all = await store.ListAsync(ct);
        return TypedResults.Ok(new ModelList(all.Select(m => m.AsView()).ToList()));
    }

    private static async Task<Results<Ok<ModelView>, ProblemHttpResult>> GetAsync(string id, ModelCache cache, CancellationToken ct)
    {
        var record = await cache.ResolveAsync(id, ct);
        return record is null ? await MissingAsync(id, cache, ct) : TypedResults.Ok(record.AsView());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, ModelStore store, CancellationToken ct)
    {
        if (ModelCache.IsDefault(id))
            return Problems.BadRequest("Delete a model by its id, not by 'default' (which would then name the next model). GET /api/models/default shows its id.");
        // The store tells the model cache, which drops the loaded model and the remembered records.
        bool deleted = await store.DeleteAsync(id, ct);
        return deleted ? TypedResults.NoContent() : NotFound(id);
    }

    private static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> WeightsAsync(string id, ModelStore store, ModelCache cache, CancellationToken ct)
    {
        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        string path = store.PathOf(record.Id);
        if (!File.Exists(path)) return Problems.NotFound($"The weights of model '{record.Id}' are gone; it was probably deleted just now.");
        return TypedResults.PhysicalFile(path, "application/octet-stream", record.Id + ".safetensors",
            entityTag: new EntityTagHeaderValue($"\"{record.Id}\""), enableRangeProcessing: true);
    }

    // ---- inference ----

    private static async Task<Results<Ok<EncodeResponse>, ProblemHttpResult>> EncodeAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, ModelCache cache, InferenceService inference,
        IOptions<ModelsOptions> options, IOptions<HttpJsonOptions> json, CancellationToken ct)
    {
        var o = options.Value;
        if (ParseInvert(input.Invert, out bool? invert) is { } badInvert) return badInvert;
        var kind = ContentKind(request);
        if (kind == BodyKind.Other) return UnsupportedContentType(request, "image/png or application/json");

        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        var config = record.Config;
        using var body = await RequestBody.ReadAsync(request, o.MaxBodyBytes, ct);
        if (body.Problem is { } tooLarge) return tooLarge;

        float[] inputs;
        int count;
        if (kind == BodyKind.Png)
        {
            if (ReadImage(body.Span, invert, config, out inputs) is { } badImage) return badImage;
            count = 1;
        }
        else
        {
            var (parsed, problem) = ParseJson<EncodeRequest>(body.Span, json.Value.SerializerOptions, "{\"pixels\": [...]} or {\"batch\": [[...], ...]}");
            if (problem is not null) return problem;
            if ((parsed!.Pixels is null) == (parsed.Batch is null))
                return Problems.BadRequest($"Send exactly one of \"pixels\" (one image) and \"batch\" (a list of images), each image {config.InputSize} values in [0, 1].");
            var rows = parsed.Batch ?? [parsed.Pixels!];
            if (CheckCount(rows.Length, o.MaxBatch, "batch", "images") is { } badCount) return badCount;
            if (CheckRows(rows, config.InputSize, parsed.Batch is null ? "pixels" : "batch", "pixel values", unitRange: true, single: parsed.Batch is null) is { } badRows) return badRows;
            inputs = Flatten(rows, config.InputSize);
            count = rows.Length;
        }

        var model = cache.Get(record);
        var (mu, logVar) = inference.Encode(model, inputs, count);
        int latent = config.LatentDim;
        var results = new LatentCode[count];
        for (int i = 0; i < count; i++)
            results[i] = new LatentCode(mu.AsSpan(i * latent, latent).ToArray(), logVar?.AsSpan(i * latent, latent).ToArray());
        return TypedResults.Ok(new EncodeResponse(results));
    }

    private static async Task<Results<FileContentHttpResult, Ok<ImagesResponse>, ProblemHttpResult>> DecodeAsync(
        string id, HttpRequest request, [AsParameters] GridQuery grid, ModelCache cache, InferenceService inference,
        IOptions<ModelsOptions> options, IOptions<HttpJsonOptions> json, CancellationToken ct)
    {
        var o = options.Value;
        if (CheckGrid(grid) is { } badGrid) return badGrid;
        if (ContentKind(request) != BodyKind.Json) return UnsupportedContentType(request, "application/json");

        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        var config = record.Config;
        using var body = await RequestBody.ReadAsync(request, o.MaxBodyBytes, ct);
        if (body.Problem is { } tooLarge) return tooLarge;

        var (parsed, problem) = ParseJson<DecodeRequest>(body.Span, json.Value.SerializerOptions, "{\"latents\": [[...], ...]} or {\"latent\": [...]}");
        if (problem is not null) return problem;
        if ((parsed!.Latent is null) == (parsed.Latents is null))
            return Problems.BadRequest($"Send exactly one of \"latent\" (one code) and \"latents\" (a list of codes), each {config.LatentDim} numbers.");
        var rows = parsed.Latents ?? [parsed.Latent!];
        if (CheckCount(rows.Length, o.MaxBatch, "latents", "codes") is { } badCount) return badCount;
        if (CheckRows(rows, config.LatentDim, parsed.Latents is null ? "latent" : "latents", "numbers", unitRange: false, single: parsed.Latents is null) is { } badRows) return badRows;

        bool asJson = PrefersJson(request);
        int count = rows.Length, columns = grid.Columns ?? SquareColumns(count), padding = count == 1 ? 0 : 2;
        if (!asJson && CheckImageSize(count, config, columns, grid.Scale, padding) is { } tooBig) return tooBig;

        request.HttpContext.Response.Headers.Vary = "Accept";
        using var latents = new PooledFloats(count * config.LatentDim);
        using var images = new PooledFloats(count * config.InputSize);
        Flatten(rows, config.LatentDim, latents.Array);
        inference.Decode(cache.Get(record), latents.Array, count, images.Array);
        if (asJson) return TypedResults.Ok(new ImagesResponse(InferenceService.Rows(images.Array, count, config.InputSize), config.Width, config.Height));
        return TypedResults.File(InferenceService.RenderPng(images.Array, count, config, columns, grid.Scale, padding), Png);
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ReconstructAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] GridQuery grid,
        ModelCache cache, InferenceService inference, IOptions<ModelsOptions> options, CancellationToken ct)
    {
        if (ParseInvert(input.Invert, out bool? invert) is { } badInvert) return badInvert;
        if (CheckGrid(grid) is { } badGrid) return badGrid;
        if (ContentKind(request) != BodyKind.Png) return UnsupportedContentType(request, "image/png");

        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        var config = record.Config;
        if (CheckImageSize(1, config, 1, grid.Scale, 0) is { } tooBig) return tooBig;
        using var body = await RequestBody.ReadAsync(request, options.Value.MaxBodyBytes, ct);
        if (body.Problem is { } tooLarge) return tooLarge;
        if (ReadImage(body.Span, invert, config, out var pixels) is { } badImage) return badImage;

        using var image = new PooledFloats(config.InputSize);
        inference.Reconstruct(cache.Get(record), pixels, image.Array);
        return TypedResults.File(InferenceService.RenderPng(image.Array, 1, config, 1, grid.Scale, 0), Png);
    }

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> SamplesAsync(
        string id, HttpContext http, [AsParameters] SamplesQuery query, ModelCache cache, InferenceService inference,
        IOptions<ModelsOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (CheckCount(query.N, o.MaxSamples, "n", "samples") is { } badN) return badN;
        if (!float.IsFinite(query.Temperature) || query.Temperature <= 0 || query.Temperature > o.MaxTemperature)
            return Problems.Unprocessable($"temperature must be above 0 and at most {o.MaxTemperature.ToString(CultureInfo.InvariantCulture)}, got {query.Temperature.ToString(CultureInfo.InvariantCulture)}.");
        var grid = new GridQuery(query.Columns, query.Scale);
        if (CheckGrid(grid) is { } badGrid) return badGrid;

        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        var config = record.Config;
        int columns = grid.Columns ?? SquareColumns(query.N);
        if (CheckImageSize(query.N, config, columns, grid.Scale, 2) is { } tooBig) return tooBig;
        if (Cached(http, id, record, string.Create(CultureInfo.InvariantCulture, $"samples|{query.N}|{query.Seed}|{query.Temperature:R}|{columns}|{grid.Scale}"))) return TypedResults.StatusCode(StatusCodes.Status304NotModified);

        using var images = new PooledFloats(query.N * config.InputSize);
        inference.Sample(cache.Get(record), query.N, unchecked((ulong)query.Seed), query.Temperature, images.Array);
        return TypedResults.File(InferenceService.RenderPng(images.Array, query.N, config, columns, grid.Scale, 2), Png);
    }

    private static async Task<Results<FileContentHttpResult, Ok<InterpolationResponse>, ProblemHttpResult>> InterpolateAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] GridQuery grid,
        ModelCache cache, InferenceService inference, IOptions<ModelsOptions> options, IOptions<HttpJsonOptions> json, CancellationToken ct)
    {
        var o = options.Value;
        if (ParseInvert(input.Invert, out bool? invert) is { } badInvert) return badInvert;
        if (CheckGrid(grid) is { } badGrid) return badGrid;
        if (ContentKind(request) != BodyKind.Json) return UnsupportedContentType(request, "application/json");

        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        var config = record.Config;
        using var body = await RequestBody.ReadAsync(request, o.MaxBodyBytes, ct);
        if (body.Problem is { } tooLarge) return tooLarge;

        var (parsed, problem) = ParseJson<InterpolateRequest>(body.Span, json.Value.SerializerOptions,
            "{\"from\": {\"latent\": [...]} or {\"png\": \"<base64>\"}, \"to\": ..., \"steps\": 10, \"method\": \"linear\"}");
        if (problem is not null) return problem;
        if (parsed!.Steps < 2 || parsed.Steps > o.MaxInterpolationSteps)
            return Problems.Unprocessable($"steps must be between 2 and {o.MaxInterpolationSteps} (both ends are included), got {parsed.Steps}.");
        bool spherical;
        if (string.Equals(parsed.Method, "linear", StringComparison.OrdinalIgnoreCase)) spherical = false;
        else if (string.Equals(parsed.Method, "slerp", StringComparison.OrdinalIgnoreCase)) spherical = true;
        else return Problems.Unprocessable($"method must be \"linear\" or \"slerp\", got \"{parsed.Method}\".");

        bool asJson = PrefersJson(request);
        int steps = parsed.Steps;
        if (!asJson && CheckImageSize(steps, config, grid.Columns ?? steps, grid.Scale, 2) is { } tooBig) return tooBig;

        var model = cache.Get(record);
        var (from, fromProblem) = LatentOf(parsed.From, "from", config, invert, model, inference);
        if (fromProblem is not null) return fromProblem;
        var (to, toProblem) = LatentOf(parsed.To, "to", config, invert, model, inference);
        if (toProblem is not null) return toProblem;

        var path = InferenceService.Interpolate(from!, to!, steps, spherical);
        request.HttpContext.Response.Headers.Vary = "Accept";
        using var images = new PooledFloats(steps * config.InputSize);
        inference.Decode(model, path, steps, images.Array);
        if (asJson)
            return TypedResults.Ok(new InterpolationResponse(
                InferenceService.Rows(path, steps, config.LatentDim), InferenceService.Rows(images.Array, steps, config.InputSize), config.Width, config.Height));
        return TypedResults.File(InferenceService.RenderPng(images.Array, steps, config, grid.Columns ?? steps, grid.Scale, 2), Png);
    }

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> ManifoldAsync(
        string id, HttpContext http, [AsParameters] ManifoldQuery query, ModelCache cache, InferenceService inference,
        IOptions<ModelsOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (CheckCount(query.N, o.MaxManifoldSize, "n", "rows and columns") is { } badN) return badN;
        if (!float.IsFinite(query.Range) || query.Range <= 0 || query.Range > MaxManifoldRange)
            return Problems.Unprocessable($"range must be above 0 and at most {MaxManifoldRange.ToString(CultureInfo.InvariantCulture)}, got {query.Range.ToString(CultureInfo.InvariantCulture)}.");
        if (query.Scale < 1 || query.Scale > MaxScale) return Problems.Unprocessable($"scale must be between 1 and {MaxScale}, got {query.Scale}.");
        var parts = query.Dims.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int x)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int y))
            return Problems.Unprocessable($"dims must be two latent dimensions separated by a comma, such as 0,1; got \"{query.Dims}\".");

        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        var config = record.Config;
        int latent = config.LatentDim;
        if (latent < 2) return Problems.Unprocessable($"Model '{record.Id}' has a single latent dimension; a manifold needs two.");
        if (x >= latent || y >= latent) return Problems.Unprocessable($"dims must be below the latent size {latent}, got {x},{y}.");
        if (x == y) return Problems.Unprocessable($"dims must name two different dimensions, got {x},{y}.");
        int count = query.N * query.N;
        if (CheckImageSize(count, config, query.N, query.Scale, 0) is { } tooBig) return tooBig;
        if (Cached(http, id, record, string.Create(CultureInfo.InvariantCulture, $"manifold|{query.N}|{query.Range:R}|{x}|{y}|{query.Scale}"))) return TypedResults.StatusCode(StatusCodes.Status304NotModified);

        var codes = InferenceService.ManifoldLatents(latent, query.N, query.Range, x, y);
        using var images = new PooledFloats(count * config.InputSize);
        inference.Decode(cache.Get(record), codes, count, images.Array);
        return TypedResults.File(InferenceService.RenderPng(images.Array, count, config, query.N, query.Scale, 0), Png);
    }

    private static async Task<Results<Ok<LatentsResponse>, ProblemHttpResult>> LatentsAsync(
        string id, [AsParameters] LatentsQuery query, ModelCache cache, InferenceService inference, IOptions<ModelsOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        DatasetSplit split;
        if (string.Equals(query.Split, "test", StringComparison.OrdinalIgnoreCase)) split = DatasetSplit.Test;
        else if (string.Equals(query.Split, "train", StringComparison.OrdinalIgnoreCase)) split = DatasetSplit.Train;
        else return Problems.Unprocessable($"split must be \"train\" or \"test\", got \"{query.Split}\".");
        if (CheckCount(query.Limit, o.MaxLatents, "limit", "images") is { } badLimit) return badLimit;

        var record = await cache.ResolveAsync(id, ct);
        if (record is null) return await MissingAsync(id, cache, ct);
        if (!InferenceService.HasImages(record.Dataset))
            return Problems.Unprocessable($"Model '{record.Id}' was trained on '{record.Dataset}', whose images this service cannot read; only mnist models have latent views.");
        var model = cache.Get(record);
        LatentPoint[] points;
        try
        {
            points = await inference.EncodeDatasetAsync(model, record.Dataset, split, query.Limit, ct);
        }
        catch (DatasetUnavailableException e)
        {
            return Problems.Unavailable(e.Message);
        }
        return TypedResults.Ok(new LatentsResponse(points, record.Config.LatentDim));
    }

    // ---- shared checks ----

    /// <summary>404, or 409 when "default" is asked for while the first MNIST model is still training.</summary>
    private static async Task<ProblemHttpResult> MissingAsync(string id, ModelCache cache, CancellationToken ct)
    {
        if (ModelCache.IsDefault(id) && await cache.PendingDefaultAsync(ct) is { } job)
            return Problems.Conflict($"The first MNIST model is still being trained by job '{job.Id}' ({job.Status.ToString().ToLowerInvariant()}, "
                + $"{job.Epochs.Count} of {job.Request.Epochs} epochs done); retry when GET /api/jobs/{job.Id} shows it succeeded.");
        return NotFound(id);
    }

    private static ProblemHttpResult NotFound(string id) => ModelCache.IsDefault(id)
        ? Problems.NotFound("There is no trained MNIST model yet, so 'default' names nothing. Start training with POST /api/jobs "
            + "(an empty JSON body {} trains the default MNIST VAE) and retry once GET /api/jobs/{id} shows it succeeded.")
        : Problems.NotFound($"There is no model '{id}'. GET /api/models lists the models, or use 'default' for the newest MNIST model.");

    private static ProblemHttpResult? CheckCount(int value, int max, string name, string what)
        => value < 1 || value > max ? Problems.Unprocessable($"{name} must be between 1 and {max} {what}, got {value}.") : null;

    private static ProblemHttpResult? CheckGrid(GridQuery grid)
    {
        if (grid.Columns is int c && (c < 1 || c > MaxColumns)) return Problems.Unprocessable($"columns must be between 1 and {MaxColumns}, got {c}.");
        if (grid.Scale < 1 || grid.Scale > MaxScale) return Problems.Unprocessable($"scale must be between 1 and {MaxScale}, got {grid.Scale}.");
        return null;
    }

    private static ProblemHttpResult? CheckImageSize(int count, ModelConfig config, int columns, int scale, int padding)
    {
        var (width, height) = InferenceService.GridSize(count, config, columns, scale, padding);
        return width * height > InferenceService.MaxOutputPixels
            ? Problems.Unprocessable($"The image would be {width}x{height} pixels, more than the {InferenceService.MaxOutputPixels} the service draws; ask for fewer images or a smaller scale.")
            : null;
    }

    /// <summary>Checks every row's length and that every value is finite (and in [0, 1] for pixels).</summary>
    private static ProblemHttpResult? CheckRows(float[][] rows, int expected, string name, string what, bool unitRange, bool single)
    {
        for (int r = 0; r < rows.Length; r++)
        {
            string where = single ? name : $"{name}[{r}]";
            var row = rows[r];
            if (row is null) return Problems.Unprocessable($"{where} is null; it must be a list of {expected} {what}.");
            if (row.Length != expected) return Problems.Unprocessable($"{where} has {row.Length} {what}; this model expects {expected}.");
            for (int i = 0; i < row.Length; i++)
            {
                float v = row[i];
                if (!float.IsFinite(v)) return Problems.Unprocessable($"{where}[{i}] is not a finite number (it overflows a 32-bit float or is NaN).");
                if (unitRange && (v < 0f || v > 1f)) return Problems.Unprocessable($"{where}[{i}] is {v.ToString(CultureInfo.InvariantCulture)}; pixel values must be in [0, 1] (0 black, 1 white ink).");
            }
        }
        return null;
    }

    private static float[] Flatten(float[][] rows, int length)
    {
        var flat = new float[rows.Length * length];
        Flatten(rows, length, flat);
        return flat;
    }

    private static void Flatten(float[][] rows, int length, Span<float> flat)
    {
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat.Slice(i * length, length));
    }

    private static int SquareColumns(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));

    private static ProblemHttpResult? ParseInvert(string? text, out bool? invert)
    {
        invert = null;
        if (text is null || string.Equals(text, "auto", StringComparison.OrdinalIgnoreCase)) return null;
        if (bool.TryParse(text, out bool value))
        {
            invert = value;
            return null;
        }
        return Problems.Unprocessable($"invert must be true, false or auto (invert when the border is light), got \"{text}\".");
    }

    private static ProblemHttpResult? ReadImage(ReadOnlySpan<byte> png, bool? invert, ModelConfig config, out float[] pixels)
    {
        pixels = [];
        if (png.IsEmpty) return Problems.BadRequest("The body is empty; send the PNG's bytes as the body with Content-Type image/png.");
        // A few kilobytes of PNG can hold a huge blank image; refuse it from the header, before anything is inflated.
        if (png.Length >= 24 && png[12..16].SequenceEqual("IHDR"u8))
        {
            long width = BinaryPrimitives.ReadUInt32BigEndian(png[16..]), height = BinaryPrimitives.ReadUInt32BigEndian(png[20..]);
            if (width * height > InferenceService.MaxInputPixels)
                return Problems.Unprocessable($"The image is {width}x{height} pixels; at most {InferenceService.MaxInputPixels} pixels are read (e.g. 2048x2048). Scale it down first.");
        }
        try
        {
            pixels = InferenceService.ReadPng(png, invert, config);
            return null;
        }
        catch (InvalidImageException e)
        {
            return Problems.Make(StatusCodes.Status400BadRequest, "The image is malformed", e.Message);
        }
        catch (UnsupportedImageException e)
        {
            return Problems.UnsupportedMedia(e.Message);
        }
    }

    /// <summary>The code of an interpolation end: the given latent, or the mean code of the given PNG.</summary>
    private static (float[]? Latent, ProblemHttpResult? Problem) LatentOf(
        InterpolationPoint? point, string name, ModelConfig config, bool? invert, AutoencoderModel model, InferenceService inference)
    {
        if (point is null || (point.Latent is null) == (point.Png is null))
            return (null, Problems.BadRequest($"\"{name}\" needs exactly one of {{\"latent\": [{config.LatentDim} numbers]}} and {{\"png\": \"<base64 PNG>\"}}."));
        if (point.Latent is { } latent)
        {
            var bad = CheckRows([latent], config.LatentDim, name + ".latent", "numbers", unitRange: false, single: true);
            return bad is null ? (latent, null) : (null, bad);
        }

        byte[] png;
        try { png = Convert.FromBase64String(point.Png!); }
        catch (FormatException) { return (null, Problems.BadRequest($"\"{name}.png\" is not valid base64; send the PNG file's bytes base64-encoded (no data: prefix).")); }
        if (ReadImage(png, invert, config, out var pixels) is { } badImage) return (null, badImage);
        return (inference.Encode(model, pixels, 1).Mu, null);
    }

    /// <summary>
    /// Sets the caching headers of a deterministic image and tells whether the client already has it.
    /// A concrete model id never changes its images; "default" may name another model tomorrow, so
    /// its images are revalidated, and the ETag carries the model it named.
    /// </summary>
    private static bool Cached(HttpContext http, string id, ModelRecord record, string what)
    {
        string key = $"{record.Id}|{what}|{RenderVersion}";
        string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 12)) + "\"";
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = ModelCache.IsDefault(id) ? "public, no-cache" : "public, max-age=31536000, immutable";
        foreach (var value in http.Request.Headers.IfNoneMatch)
        {
            if (value is null) continue;
            foreach (var tag in value.Split(',', StringSplitOptions.TrimEntries))
                if (tag == "*" || tag == etag || tag == "W/" + etag) return true;
        }
        return false;
    }

    // ---- bodies and media types ----

    private enum BodyKind { Other, Png, Json }

    private static BodyKind ContentKind(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)) return BodyKind.Other;
        if (type.MediaType.Equals(Png, StringComparison.OrdinalIgnoreCase)) return BodyKind.Png;
        if (type.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)) return BodyKind.Json;
        return BodyKind.Other;
    }

    private static ProblemHttpResult UnsupportedContentType(HttpRequest request, string accepted)
        => Problems.UnsupportedMedia(string.IsNullOrEmpty(request.ContentType)
            ? $"The request has no Content-Type; this endpoint accepts {accepted}."
            : $"This endpoint accepts {accepted}, not {request.ContentType}.");

    /// <summary>JSON only when the client ranks it above PNG; no Accept, */* or anything else gets PNG.</summary>
    private static bool PrefersJson(HttpRequest request)
    {
        if (request.Headers.Accept.Count == 0) return false;
        double json = 0, png = 0;
        foreach (var range in request.GetTypedHeaders().Accept)
        {
            double q = range.Quality ?? 1;
            if (range.MatchesAllTypes) { json = Math.Max(json, q); png = Math.Max(png, q); }
            else if (range.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && (range.MatchesAllSubTypes || range.SubType.Equals("json", StringComparison.OrdinalIgnoreCase))) json = Math.Max(json, q);
            else if (range.Type.Equals("image", StringComparison.OrdinalIgnoreCase) && (range.MatchesAllSubTypes || range.SubType.Equals("png", StringComparison.OrdinalIgnoreCase))) png = Math.Max(png, q);
        }
        return json > png;
    }

    private static (T? Value, ProblemHttpResult? Problem) ParseJson<T>(ReadOnlySpan<byte> body, JsonSerializerOptions options, string shape) where T : class
    {
        if (body.IsEmpty) return (null, Problems.BadRequest($"The body is empty; send JSON like {shape}."));
        try
        {
            var value = JsonSerializer.Deserialize<T>(body, options);
            return value is null ? (null, Problems.BadRequest($"The body is JSON null; send an object like {shape}.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"The JSON body could not be read ({e.Message}). Send an object like {shape}."));
        }
    }

    /// <summary>
    /// The request body in a pooled buffer, read up to a limit: a larger body is refused with 413
    /// as soon as its size is known, before anything is decoded.
    /// </summary>
    private sealed class RequestBody : IDisposable
    {
        private byte[]? _buffer;
        private int _length;

        public ProblemHttpResult? Problem { get; private init; }

        public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

        public static async Task<RequestBody> ReadAsync(HttpRequest request, long max, CancellationToken ct)
        {
            if (request.ContentLength > max) return TooLarge(max);
            var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (limit is { IsReadOnly: false } && (limit.MaxRequestBodySize is null || limit.MaxRequestBodySize < max + 1)) limit.MaxRequestBodySize = max + 1;

            var body = new RequestBody { _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1, (request.ContentLength ?? 8192) + 1)) };
            try
            {
                while (true)
                {
                    if (body._length == body._buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1, 2L * body._buffer.Length));
                        body._buffer.AsSpan(0, body._length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(body._buffer);
                        body._buffer = larger;
                    }
                    int read = await request.Body.ReadAsync(body._buffer.AsMemory(body._length), ct);
                    if (read == 0) return body;
                    body._length += read;
                    if (body._length > max)
                    {
                        body.Dispose();
                        return TooLarge(max);
                    }
                }
            }
            catch
            {
                body.Dispose();
                throw;
            }
        }

        private static RequestBody TooLarge(long max) => new()
        {
            Problem = Problems.TooLarge($"The body is larger than the {max} bytes this service accepts (Models:MaxBodyBytes); send a smaller image or fewer values per request."),
        };

        public void Dispose()
        {
            if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            _length = 0;
        }
    }
}
