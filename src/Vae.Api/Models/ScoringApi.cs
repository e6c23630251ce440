using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Vae.Api.Infrastructure;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>
/// Anomaly scores: how unusual images are to a model (<see cref="AnomalyScoring"/>), and the
/// distribution of its own test images' scores that percentiles are read from.
/// </summary>
internal static class ScoringApi
{
    public static async Task<Results<Ok<ScoreResponse>, ProblemHttpResult>> ScoreAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] ScoreQuery query, [AsParameters] LabelQuery label,
        AnomalyScoring scoring, [AsParameters] ModelServices models, CancellationToken ct)
    {
        var kind = ContentKind(request);
        bool zip = kind == BodyKind.Other && IsZip(request);
        if (kind == BodyKind.Other && !zip) return UnsupportedContentType(request, $"an image ({ImageTypeNames}), {ImageArchive.ContentType} (a zip of images) or {Json}");
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        using var body = await models.ReadBodyAsync(request, ct);
        if (body.Problem is { } tooLarge) return tooLarge;

        float[] rows;
        string?[] names;
        int? bodyK = null, bodyLabel = null;
        long? bodySeed = null;
        int[]? bodyLabels = null;
        if (kind == BodyKind.Image)
        {
            if (ModelImages.ReadUpload(models.Images, body.Memory, input.InvertValue, record, out rows) is { } badImage) return badImage;
            names = [null];
        }
        else if (zip)
        {
            var (files, badZip) = ImageArchive.Read(body.Span, models.Limits);
            if (badZip is not null) return badZip;
            rows = new float[files.Count * config.InputSize];
            names = new string?[files.Count];
            for (int i = 0; i < files.Count; i++)
            {
                if (ModelImages.ReadUpload(models.Images, files[i].Bytes, input.InvertValue, record, out var row) is { } badImage)
                {
                    badImage.ProblemDetails.Detail = $"'{files[i].Name}': {badImage.ProblemDetails.Detail}";
                    return badImage;
                }
                row.CopyTo(rows, i * config.InputSize);
                names[i] = files[i].Name;
            }
        }
        else
        {
            var (parsed, problem) = JsonBody.Parse<ScoreRequest>(body.Span, models.JsonOptions,
                "{\"images\": [\"<base64 image>\" or [pixel values...], ...], \"labels\": [...], \"k\": 64}");
            if (problem is not null) return problem;
            if (parsed!.Images is not { } images)
                return Problems.BadRequest($"Send \"images\": a list of images, each a base64 image ({Vae.Engine.Imaging.ImageFormats.Names}) or a list of {config.InputSize} pixel values in [0, 1].");
            if (BodyRows.CheckCount(images.Length, models.Limits.MaxBatch, "images", "images") is { } badCount) return badCount;
            ProblemHttpResult? badRows;
            (rows, badRows) = ImageInput.ReadAll(models.Images, images, "images", input.InvertValue, record);
            if (badRows is not null) return badRows;
            names = new string?[images.Length];
            (bodyK, bodySeed, bodyLabel, bodyLabels) = (parsed.K, parsed.Seed, parsed.Label, parsed.Labels);
        }

        int count = names.Length;
        var (labels, badLabel) = Conditioning.Resolve(record, label.Label, bodyLabel, bodyLabels, count);
        if (badLabel is not null) return badLabel;
        if (query.K is int qk && bodyK is int bk && qk != bk) return Problems.Invalid("k", $"k is {qk} in the query but {bk} in the body; give it once.");
        if (ScoreQuery.CheckK(bodyK, models.Limits) is { } badK) return Problems.Invalid(badK.Parameter, badK.Message);
        if (query.Seed is long qs && bodySeed is long bs && qs != bs) return Problems.Invalid("seed", $"seed is {qs} in the query but {bs} in the body; give it once.");
        int k = query.K ?? bodyK ?? models.Limits.ScoreSamples;
        long seed = query.Seed ?? bodySeed ?? 1;

        var model = models.Cache.Get(record);
        var scores = scoring.Score(model, rows, count, labels, k, unchecked((ulong)seed), ct);
        ScoreDistribution? reference = null;
        try
        {
            reference = await scoring.DistributionAsync(record, ct);
        }
        catch (ClientProblemException e) when (e.Status is StatusCodes.Status422UnprocessableEntity or StatusCodes.Status503ServiceUnavailable)
        {
            // The scores stand on their own; only the comparison with the test images is missing, and the answer says so with null percentiles.
        }
        // A percentile compares like with like: the image's figure from as many samples as the test images had.
        var ranked = reference is { K: int referenceK } && model.IsVariational && referenceK != k
            ? scoring.Score(model, rows, count, labels, referenceK, unchecked((ulong)seed), ct)
            : scores;

        var views = new ImageScoreView[count];
        for (int i = 0; i < count; i++)
        {
            var s = scores[i];
            views[i] = new ImageScoreView(names[i], s.NegativeElbo, s.NegativeIwae, s.Reconstruction, reference?.Percentile(ranked[i].Value));
        }
        return TypedResults.Ok(new ScoreResponse(views, AnomalyScoring.MeasureOf(model), model.IsVariational ? k : null, seed, reference?.Summary));
    }

    public static async Task<Results<Ok<ScoreHistogram>, ProblemHttpResult>> HistogramAsync(
        string id, [AsParameters] HistogramQuery query, AnomalyScoring scoring, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        try
        {
            var distribution = await scoring.DistributionAsync(record, ct);
            return TypedResults.Ok(distribution.Histogram(query.Bins));
        }
        catch (ClientProblemException e)
        {
            return e.Status switch
            {
                StatusCodes.Status404NotFound => Problems.NotFound(e.Message),
                StatusCodes.Status503ServiceUnavailable => Problems.Unavailable(e.Message),
                _ => Problems.Make(e.Status, "There are no test images to compare with", e.Message),
            };
        }
    }

    private static bool IsZip(HttpRequest request)
        => MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            && Datasets.DatasetUploader.ZipTypes.Any(t => type.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase));
}
