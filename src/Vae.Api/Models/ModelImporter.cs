using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Checkpoints;

namespace Vae.Api.Models;

/// <summary>
/// Registers a model trained elsewhere (POST /api/models): a multipart/form-data body with a
/// <c>weights</c> part (a safetensors file) and a <c>config</c> part (JSON: the dataset, the model
/// object a training request takes, and an optional name). The configuration is read as a training
/// request's is, the weights are checked tensor by tensor against the model it describes
/// (<see cref="WeightsImport"/>), and the model is stored as a trained one is, without metrics or
/// evaluation, so every model endpoint serves it. Nothing is stored unless everything is accepted.
/// </summary>
public sealed class ModelImporter(ModelStore store, DatasetCatalog datasets, IOptions<ImportOptions> options)
{
    public const string FormType = "multipart/form-data";
    public const string WeightsPart = "weights", ConfigPart = "config";
    public const string ConfigShape = "{\"dataset\": \"mnist\", \"model\": {\"family\": \"mlp\", ...}, \"name\": \"...\"}";
    private const int MaxConfigBytes = 64 * 1024;
    private static readonly string[] ConfigFields = ["dataset", "model", "name"];

    public async Task<(ModelRecord? Model, ProblemHttpResult? Problem)> ImportAsync(HttpRequest request, CancellationToken ct)
    {
        long max = options.Value.MaxBytes;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals(FormType, StringComparison.OrdinalIgnoreCase))
            return (null, Problems.UnsupportedMedia($"Send the model as {FormType} with a '{WeightsPart}' file part (safetensors) and a '{ConfigPart}' part (JSON like {ConfigShape}); got {(string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"'{request.ContentType}'")}."));
        string? boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) return (null, Problems.BadRequest($"The {FormType} Content-Type has no boundary parameter."));
        if (request.ContentLength > max) return (null, TooLarge(max));
        // The server's own cap (30 MB by default) would cut large models short with a bare error.
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = max + 1;

        var (parts, problem) = await ReadPartsAsync(request.Body, boundary, max, ct);
        if (problem is not null) return (null, problem);
        if (!parts.TryGetValue(WeightsPart, out var weights))
            return (null, Problems.BadRequest($"The form has no '{WeightsPart}' part; send the safetensors file as a file part named '{WeightsPart}'."));
        if (!parts.TryGetValue(ConfigPart, out var configPart))
            return (null, Problems.BadRequest($"The form has no '{ConfigPart}' part; send JSON like {ConfigShape} as a part named '{ConfigPart}'."));

        var (config, name, dataset, configProblem) = await ReadConfigAsync(configPart.Bytes, ct);
        if (configProblem is not null) return (null, configProblem);

        SafeTensorsFile file;
        try
        {
            using var stream = new MemoryStream(weights.Bytes, writable: false);
            file = SafeTensors.Read(stream, weights.FileName ?? WeightsPart, WeightsImport.IsIgnored);
        }
        catch (InvalidDataException e)
        {
            return (null, Problems.Invalid(WeightsPart, e.Message));
        }
        // The model is built only to be stored; serving loads it on the node's own device.
        var (model, tensorProblems) = WeightsImport.Load(config!, file, CpuBackend.Instance);
        if (model is null) return (null, ToProblem(tensorProblems, file.Source));

        var record = await store.PublishAsync(model, name, dataset!.Id, jobId: null, metrics: [], new ModelDetails(dataset.ClassNames, null, null), ct);
        return (record, null);
    }

    /// <summary>422 naming every wrong tensor; "errors" maps each tensor's name to what is wrong with it.</summary>
    private static ProblemHttpResult ToProblem(IReadOnlyList<TensorProblem> problems, string source)
    {
        const int shown = 10;
        string detail = problems.Count == 1
            ? $"Tensor '{problems[0].Tensor}' of {source} {problems[0].Message}"
            : $"{problems.Count} tensors of {source} are not what the model needs: "
              + string.Join(" ", problems.Take(shown).Select(p => $"'{p.Tensor}' {p.Message}"))
              + (problems.Count > shown ? $" ({problems.Count - shown} more under errors.)" : "");
        var result = Problems.Unprocessable(detail);
        result.ProblemDetails.Extensions["errors"] = problems.GroupBy(p => p.Tensor).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray());
        return result;
    }

    private async Task<(Engine.Models.ModelConfig? Config, string? Name, DatasetInfo? Dataset, ProblemHttpResult? Problem)> ReadConfigAsync(byte[] bytes, CancellationToken ct)
    {
        JsonObject? body;
        try
        {
            body = JsonNode.Parse(bytes) as JsonObject;
        }
        catch (JsonException e)
        {
            return (null, null, null, Problems.BadRequest($"The '{ConfigPart}' part is not valid JSON ({e.Message}); send an object like {ConfigShape}."));
        }
        if (body is null) return (null, null, null, Problems.BadRequest($"The '{ConfigPart}' part must be a JSON object like {ConfigShape}."));

        var problems = new List<FieldProblem>();
        foreach (var (key, _) in body)
            if (!ConfigFields.Contains(key)) problems.Add(new(key, $"is not a field of an import's configuration; the fields are 'dataset', 'model' and 'name'."));
        string? dataset = ReadString(body, "dataset", problems) ?? "mnist";
        string? name = ReadString(body, "name", problems)?.Trim();
        if (string.IsNullOrEmpty(name)) name = null;
        if (name is { Length: > TrainingRequestValidation.MaxNameLength })
            problems.Add(new("name", $"must be at most {TrainingRequestValidation.MaxNameLength} characters (got {name.Length})."));
        if (problems.Count > 0) return (null, null, null, TrainingRequestValidation.ToProblem(problems));

        var (info, config, modelProblems) = await TrainingRequestValidation.ReadModelAsync(body["model"], dataset, datasets, ct);
        if (modelProblems.Count > 0) return (null, null, null, TrainingRequestValidation.ToProblem(modelProblems));
        return (config, name, info, null);
    }

    private static string? ReadString(JsonObject body, string field, List<FieldProblem> problems)
    {
        var node = body[field];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        problems.Add(new(field, $"must be a string, got {node.ToJsonString()}."));
        return null;
    }

    private sealed record Part(byte[] Bytes, string? FileName);

    /// <summary>The form's parts by name, each read whole within the limit; a problem for anything else in the form.</summary>
    private static async Task<(Dictionary<string, Part> Parts, ProblemHttpResult? Problem)> ReadPartsAsync(Stream body, string boundary, long max, CancellationToken ct)
    {
        var parts = new Dictionary<string, Part>(StringComparer.Ordinal);
        var reader = new MultipartReader(boundary, body) { BodyLengthLimit = max };
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(ct)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase) || StringSegment.IsNullOrEmpty(disposition.Name))
                    return (parts, Problems.BadRequest("A part of the form has no 'Content-Disposition: form-data' header naming it."));
                string name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (name is not (WeightsPart or ConfigPart))
                    return (parts, Problems.BadRequest($"The form has a part '{name}'; an import takes a '{WeightsPart}' part (safetensors) and a '{ConfigPart}' part (JSON), nothing else."));
                if (parts.ContainsKey(name)) return (parts, Problems.BadRequest($"The form has more than one '{name}' part; send it once."));
                long partLimit = name == ConfigPart ? MaxConfigBytes : max;
                var bytes = await ReadAsync(section.Body, partLimit, ct);
                if (bytes is null)
                    return (parts, name == ConfigPart ? Problems.TooLarge($"The '{ConfigPart}' part is larger than {MaxConfigBytes} bytes; it holds a small JSON object like {ConfigShape}.") : TooLarge(max));
                string? fileName = disposition.FileName.HasValue ? HeaderUtilities.RemoveQuotes(disposition.FileName).Value : null;
                parts[name] = new Part(bytes, string.IsNullOrWhiteSpace(fileName) ? null : fileName);
            }
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return (parts, TooLarge(max));
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return (parts, Problems.BadRequest($"The {FormType} body cannot be read ({e.Message})."));
        }
        return (parts, null);
    }

    /// <summary>The whole part, or null when it is longer than <paramref name="max"/> bytes.</summary>
    private static async Task<byte[]?> ReadAsync(Stream part, long max, CancellationToken ct)
    {
        using var memory = new MemoryStream();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while ((read = await part.ReadAsync(buffer, ct)) > 0)
            {
                if (memory.Length + read > max) return null;
                memory.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return memory.ToArray();
    }

    private static ProblemHttpResult TooLarge(long max)
        => Problems.TooLarge($"The import is larger than the {max} bytes this service accepts (Models:Import:MaxBytes); a model's float32 weights take 4 bytes per parameter.");
}
