using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>The endpoints that answer latent codes: of uploaded images, and of a split of the model's dataset.</summary>
internal static class ModelCodesApi
{
    public static async Task<Results<Ok<EncodeResponse>, ProblemHttpResult>> EncodeAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] LabelQuery label, [AsParameters] ModelServices models, CancellationToken ct)
    {
        var kind = ContentKind(request);
        if (kind == BodyKind.Other) return UnsupportedContentType(request, $"{ImageTypeNames} (an image) or {Json}");
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        using var body = await models.ReadBodyAsync(request, ct);
        if (body.Problem is { } tooLarge) return tooLarge;

        float[] inputs;
        int[]? labels;
        int count;
        if (kind == BodyKind.Image)
        {
            if (ModelImages.ReadUpload(models.Images, body.Memory, input.InvertValue, record, out inputs) is { } badImage) return badImage;
            count = 1;
            ProblemHttpResult? badLabel;
            (labels, badLabel) = Conditioning.Resolve(record, label.Label, null, count);
            if (badLabel is not null) return badLabel;
        }
        else
        {
            var (parsed, problem) = JsonBody.Parse<EncodeRequest>(body.Span, models.JsonOptions, "{\"pixels\": [...]} or {\"batch\": [[...], ...], \"labels\": [...]}");
            if (problem is not null) return problem;
            if ((parsed!.Pixels is null) == (parsed.Batch is null))
                return Problems.BadRequest($"Send exactly one of \"pixels\" (one image) and \"batch\" (a list of images), each image {config.InputSize} values in [0, 1].");
            var rows = parsed.Batch ?? [parsed.Pixels!];
            string name = parsed.Batch is null ? "pixels" : "batch";
            if (BodyRows.CheckCount(rows.Length, models.Limits.MaxBatch, "batch", "images") is { } badCount) return badCount;
            if (BodyRows.CheckRows(rows, config.InputSize, name, "pixel values", unitRange: true, single: parsed.Batch is null) is { } badRows) return badRows;
            ProblemHttpResult? badLabel;
            (labels, badLabel) = Conditioning.Resolve(record, label.Label, parsed.Label, parsed.Labels, rows.Length, name);
            if (badLabel is not null) return badLabel;
            inputs = BodyRows.Flatten(rows, config.InputSize);
            count = rows.Length;
        }

        var (mu, logVar) = models.Inference.Encode(models.Cache.Get(record), inputs, count, labels);
        int latent = config.LatentDim;
        var results = new LatentCode[count];
        for (int i = 0; i < count; i++)
            results[i] = new LatentCode(mu.AsSpan(i * latent, latent).ToArray(), logVar?.AsSpan(i * latent, latent).ToArray());
        return TypedResults.Ok(new EncodeResponse(results));
    }

    public static async Task<Results<Ok<LatentsResponse>, ProblemHttpResult>> LatentsAsync(
        string id, [AsParameters] LatentsQuery query, DatasetCatalog datasets, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        if (await datasets.FindAsync(record.Dataset, ct) is not { } dataset)
            return Problems.Unprocessable($"Model '{record.Id}' was trained on '{record.Dataset}', which this service does not have (any more); "
                + "GET /api/datasets lists the datasets there are.");
        if ((dataset.Channels, dataset.Height, dataset.Width) != (config.Channels, config.Height, config.Width))
            return Problems.Unprocessable($"The images of '{dataset.Id}' are {dataset.Channels}x{dataset.Height}x{dataset.Width} "
                + $"but model '{record.Id}' takes {config.Channels}x{config.Height}x{config.Width}.");
        try
        {
            var points = await models.Inference.EncodeDatasetAsync(models.Cache.Get(record), dataset.Id, query.SplitValue, query.Limit, dataset.IsLabelled, ct);
            return TypedResults.Ok(new LatentsResponse(points, config.LatentDim));
        }
        catch (DatasetUnavailableException e)
        {
            return Problems.Unavailable(e.Message);
        }
    }
}
