using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Models;
using static Vae.Api.Infrastructure.ContentNegotiation;

namespace Vae.Api.Models;

/// <summary>
/// Latent arithmetic: a direction is the mean code of one group of images minus the mean code of
/// another (two classes of the model's dataset, or images of one's own), stored with the model
/// under a name; editing moves an image's code along it and decodes the way.
/// </summary>
internal static partial class DirectionsApi
{
    public const int MaxNameLength = 64;
    public const float MaxAmount = 100f;
    private static readonly float[] DefaultAmounts = [-2, -1, 0, 1, 2];

    public static async Task<Results<Ok<DirectionList>, ProblemHttpResult>> ListAsync(
        string id, DirectionStore directions, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        return TypedResults.Ok(new DirectionList(await directions.ListAsync(record.Id, ct)));
    }

    public static async Task<Results<Ok<DirectionView>, ProblemHttpResult>> GetAsync(
        string id, string name, DirectionStore directions, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        return await directions.FindAsync(record.Id, name, ct) is { } direction ? TypedResults.Ok(direction) : await UnknownAsync(record, name, directions, ct);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, string name, DirectionStore directions, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        return await directions.DeleteAsync(record.Id, name, ct) ? TypedResults.NoContent() : await UnknownAsync(record, name, directions, ct);
    }

    public static async Task<Results<Created<DirectionView>, ProblemHttpResult>> CreateAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] LabelQuery label,
        DirectionStore directions, DatasetCatalog datasets, TimeProvider clock, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (ContentKind(request) != BodyKind.Json) return UnsupportedContentType(request, Json);
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        using var body = await models.ReadBodyAsync(request, ct);
        if (body.Problem is { } tooLarge) return tooLarge;
        var (parsed, problem) = JsonBody.Parse<DirectionRequest>(body.Span, models.JsonOptions,
            "{\"name\": \"seven-minus-one\", \"from\": {\"label\": 1}, \"to\": {\"label\": 7}}");
        if (problem is not null) return problem;
        if (CheckName(parsed!.Name) is { } badName) return badName;
        int limit = parsed.Limit ?? models.Limits.DirectionImages;
        if (limit < 1 || limit > models.Limits.MaxLatents)
            return Problems.Invalid("limit", $"limit must be between 1 and {models.Limits.MaxLatents} images per class (Models:MaxLatents), got {limit}.");
        if (await directions.FindAsync(record.Id, parsed.Name!, ct) is not null) return Taken(record, parsed.Name!);

        var model = models.Cache.Get(record);
        var groups = new GroupReader(record, model, input.InvertValue, label.Label, parsed.Label, limit, datasets, models);
        var (from, fromMean, fromProblem) = await groups.MeanAsync(parsed.From, "from", ct);
        if (fromProblem is not null) return fromProblem;
        var (to, toMean, toProblem) = await groups.MeanAsync(parsed.To, "to", ct);
        if (toProblem is not null) return toProblem;

        var vector = new float[model.LatentDim];
        double norm = 0;
        for (int d = 0; d < vector.Length; d++)
        {
            vector[d] = (float)(toMean![d] - fromMean![d]);
            norm += (double)vector[d] * vector[d];
        }
        var direction = new DirectionView(parsed.Name!, model.LatentDim, vector, Math.Sqrt(norm), from!.Images, to!.Images, from, to, clock.GetUtcNow());
        if (!await directions.AddAsync(record.Id, direction, ct))
            return await directions.FindAsync(record.Id, direction.Name, ct) is not null ? Taken(record, direction.Name) : ModelServices.NotFound(record.Id);
        return TypedResults.Created($"/api/models/{Uri.EscapeDataString(record.Id)}/directions/{Uri.EscapeDataString(direction.Name)}", direction);
    }

    public static async Task<Results<FileContentHttpResult, Ok<EditResponse>, ProblemHttpResult>> EditAsync(
        string id, HttpRequest request, [AsParameters] ImageInputQuery input, [AsParameters] GridQuery grid, [AsParameters] LabelQuery label,
        DirectionStore directions, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (ContentKind(request) != BodyKind.Json) return UnsupportedContentType(request, Json);
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        var config = record.Config;
        using var body = await models.ReadBodyAsync(request, ct);
        if (body.Problem is { } tooLarge) return tooLarge;
        var (parsed, problem) = JsonBody.Parse<EditRequest>(body.Span, models.JsonOptions,
            "{\"image\": \"<base64 PNG>\" or {\"latent\": [...]}, \"direction\": \"seven-minus-one\", \"amounts\": [-2, -1, 0, 1, 2]}");
        if (problem is not null) return problem;
        if ((parsed!.Image is null) == (parsed.Latent is null))
            return Problems.BadRequest($"Send exactly one of \"image\" (a base64 PNG or {config.InputSize} pixel values) and \"latent\" ({config.LatentDim} numbers).");
        if (string.IsNullOrEmpty(parsed.Direction))
            return Problems.Invalid("direction", "direction is required: the name of a direction stored with the model (GET /api/models/{id}/directions lists them).");
        var amounts = parsed.Amounts ?? DefaultAmounts;
        if (BodyRows.CheckCount(amounts.Length, models.Limits.MaxInterpolationSteps, "amounts", "amounts") is { } badCount) return badCount;
        for (int i = 0; i < amounts.Length; i++)
            if (!float.IsFinite(amounts[i]) || Math.Abs(amounts[i]) > MaxAmount)
                return Problems.Invalid("amounts", $"amounts[{i}] must be a number from -{MaxAmount} to {MaxAmount}, got {amounts[i].ToString(CultureInfo.InvariantCulture)}.");
        if (await directions.FindAsync(record.Id, parsed.Direction, ct) is not { } direction)
        {
            var known = await directions.ListAsync(record.Id, ct);
            return Problems.Invalid("direction", $"Model '{record.Id}' has no direction named '{parsed.Direction}'; "
                + (known.Count == 0 ? "it has none yet: create one with POST /api/models/{id}/directions." : $"it has {string.Join(", ", known.Select(d => $"'{d.Name}'"))}."));
        }
        int count = amounts.Length;
        var (labels, badLabel) = Conditioning.Resolve(record, label.Label, parsed.Label, null, count);
        if (badLabel is not null) return badLabel;

        bool asJson = PrefersJson(request);
        var layout = GridLayout.For(count, config, grid.Columns ?? count, grid.Scale, count == 1 ? 0 : GridLayout.DefaultPadding);
        if (!asJson && layout.CheckSize() is { } tooBig) return tooBig;

        var model = models.Cache.Get(record);
        float[] start;
        if (parsed.Latent is { } latent)
        {
            if (BodyRows.CheckRows([latent], config.LatentDim, "latent", "numbers", unitRange: false, single: true) is { } badLatent) return badLatent;
            start = latent;
        }
        else
        {
            var row = new float[config.InputSize];
            if (parsed.Image!.Read(models.Images, "image", input.InvertValue, record, row) is { } badImage) return badImage;
            start = models.Inference.Encode(model, row, 1, labels?[..1]).Mu;
        }

        int latentDim = config.LatentDim;
        var codes = new float[count * latentDim];
        for (int i = 0; i < count; i++)
            for (int d = 0; d < latentDim; d++)
                codes[(i * latentDim) + d] = start[d] + (amounts[i] * direction.Vector[d]);
        request.HttpContext.Response.Headers.Vary = "Accept";
        using var images = new PooledFloats(count * config.InputSize);
        models.Inference.Decode(model, codes, count, labels, images.Array);
        if (asJson)
            return TypedResults.Ok(new EditResponse(amounts, ModelImages.Rows(codes, count, latentDim), ModelImages.Rows(images.Array, count, config.InputSize),
                config.Channels, config.Height, config.Width));
        return models.Grid(request, images.Array, config, layout);
    }

    private static ProblemHttpResult? CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name)) return Problems.Invalid("name", "name is required: what the direction is called, such as \"seven-minus-one\".");
        if (name.Length > MaxNameLength || !NamePattern().IsMatch(name))
            return Problems.Invalid("name", $"name must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit (it becomes part of a URL), got \"{name}\".");
        return null;
    }

    private static ProblemHttpResult Taken(ModelRecord record, string name)
        => Problems.Make(StatusCodes.Status409Conflict, "The name is taken", $"Model '{record.Id}' already has a direction named '{name}'. "
            + $"Choose another name, or DELETE /api/models/{record.Id}/directions/{name} first to replace it.");

    private static async Task<ProblemHttpResult> UnknownAsync(ModelRecord record, string name, DirectionStore directions, CancellationToken ct)
    {
        var known = await directions.ListAsync(record.Id, ct);
        return Problems.NotFound($"Model '{record.Id}' has no direction named '{name}'"
            + (known.Count == 0 ? "; it has none." : $"; it has {string.Join(", ", known.Select(d => $"'{d.Name}'"))}."));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    /// <summary>Reads the two groups of a direction request into mean codes.</summary>
    private sealed class GroupReader(ModelRecord record, AutoencoderModel model, bool? invert, int? queryLabel, int? bodyLabel, int limit,
        DatasetCatalog datasets, ModelServices models)
    {
        public async Task<(DirectionSource? Source, double[]? Mean, ProblemHttpResult? Problem)> MeanAsync(DirectionGroup? group, string field, CancellationToken ct)
        {
            if (group is null || (group.Label is null) == (group.Images is null))
                return (null, null, Problems.Invalid(field, $"{field} needs exactly one of {{\"label\": a class of the model's dataset}} and {{\"images\": [base64 images or pixel lists]}}."));
            return group.Images is { } images ? ReadImages(images, field) : await ReadClassAsync(group.Label!.Value, field, ct);
        }

        private (DirectionSource?, double[]?, ProblemHttpResult?) ReadImages(ImageInput[] images, string field)
        {
            if (BodyRows.CheckCount(images.Length, models.Limits.MaxBatch, $"{field}.images", "images") is { } badCount) return (null, null, badCount);
            var (labels, badLabel) = Conditioning.Resolve(record, queryLabel, bodyLabel, null, images.Length);
            if (badLabel is not null) return (null, null, badLabel);
            var (rows, badRows) = ImageInput.ReadAll(models.Images, images, $"{field}.images", invert, record);
            if (badRows is not null) return (null, null, badRows);
            return (new DirectionSource(null, null, images.Length), Mean(rows, images.Length, labels), null);
        }

        private async Task<(DirectionSource?, double[]?, ProblemHttpResult?)> ReadClassAsync(int label, string field, CancellationToken ct)
        {
            var config = record.Config;
            string where = $"{field}.label";
            if (await datasets.FindAsync(record.Dataset, ct) is not { } dataset)
                return (null, null, Problems.Invalid(where, $"Model '{record.Id}' was trained on '{record.Dataset}', which this service does not have (any more); give images instead of a label."));
            if (dataset.ClassNames is not { Count: > 0 } names)
                return (null, null, Problems.Invalid(where, $"The images of '{dataset.Id}' have no labels; give images instead of a label."));
            if (label < 0 || label >= names.Count)
                return (null, null, Problems.Invalid(where, $"{where} must be a class of '{dataset.Id}' from 0 to {names.Count - 1} "
                    + $"({string.Join(", ", names.Select((n, k) => $"{k} = {n}"))}), got {label}."));
            ImageDataset test;
            try
            {
                test = (await datasets.OpenAsync(dataset.Id, ct)).Test;
            }
            catch (DatasetUnavailableException e)
            {
                return (null, null, Problems.Unavailable(e.Message));
            }
            if (test.FeatureCount != config.InputSize)
                return (null, null, Problems.Invalid(where, $"The images of '{dataset.Id}' have {test.FeatureCount} values each but model '{record.Id}' takes {config.InputSize}."));
            var indices = OfClass(test, label, limit);
            if (indices.Length == 0)
                return (null, null, Problems.Invalid(where, $"The test split of '{dataset.Id}' has no images of class {label} ({names[label]}); choose another class or give images."));
            var rows = new float[indices.Length * config.InputSize];
            test.CopyBatch(indices, rows);
            int[]? labels = config.Conditional ? Enumerable.Repeat(label, indices.Length).ToArray() : null;
            return (new DirectionSource(label, names[label], indices.Length), Mean(rows, indices.Length, labels), null);
        }

        private double[] Mean(float[] rows, int count, int[]? labels)
        {
            var (mu, _) = models.Inference.Encode(model, rows, count, labels);
            int latent = model.LatentDim;
            var mean = new double[latent];
            for (int i = 0; i < count; i++)
                for (int d = 0; d < latent; d++) mean[d] += mu[(i * latent) + d];
            for (int d = 0; d < latent; d++) mean[d] /= count;
            return mean;
        }
    }

    /// <summary>The indices of the first <paramref name="limit"/> images of class <paramref name="label"/>.</summary>
    private static int[] OfClass(ImageDataset images, int label, int limit)
    {
        var found = new List<int>();
        var labels = images.Labels.Span;
        for (int i = 0; i < labels.Length && found.Count < limit; i++)
            if (labels[i] == label) found.Add(i);
        return [.. found];
    }
}
