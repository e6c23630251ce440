using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Models;
using Vae.Engine.Training;
using Vae.Engine.Training.Evaluation;

namespace Vae.Api.Jobs;

/// <summary>What a valid request turns into: the dataset, the model to build, how to train and evaluate it.</summary>
/// <param name="Request">The request as stored: every default filled in, the name trimmed.</param>
/// <param name="Training">Epochs, batch, rate and seed; threads and the checkpoint folder are the job's to add.</param>
/// <param name="Evaluation">The evaluation after training; null when it is turned off.</param>
public sealed record TrainingPlan(
    TrainingRequest Request, DatasetInfo Dataset, ModelConfig Model, TrainingOptions Training, EvaluationOptions? Evaluation)
{
    public int MaxTrainImages => Request.MaxTrainImages ?? int.MaxValue;
    public int MaxTestImages => Request.MaxTestImages ?? int.MaxValue;
}

/// <summary>One value out of range, named as on the wire ("epochs", "model.latentDim").</summary>
public sealed record FieldProblem(string Field, string Message);

/// <summary>
/// Turns a training request into a plan, checking every field at once so a client learns all that
/// is wrong in one answer, each problem with the field it concerns and what is allowed. The model
/// object is read by the engine's family registry; what it leaves out comes from the family's
/// defaults, and its image shape and class count from the dataset.
/// </summary>
public static class TrainingRequestValidation
{
    public const int MaxBatchSize = 4096;
    public const int MaxNameLength = Models.ModelNames.MaxLength;
    public const int DefaultEpochs = 10;
    public const int MaxImportanceSamples = 5000;

    /// <summary>IWAE samples per image when the request does not say.</summary>
    public const int DefaultImportanceSamples = 16;
    /// <summary>Test images evaluated at most by default, and at least (when the test set has them).</summary>
    public const int MaxDefaultEvaluationImages = 1000, MinDefaultEvaluationImages = 16;
    /// <summary>The default evaluation costs at most this fraction of the training run (counted in forward passes).</summary>
    public const double EvaluationBudget = 0.1;

    private static readonly string[] ShapeFields = ["channels", "height", "width"];

    // Model settings that requests once carried at the top level.
    private static readonly string[] LegacyModelFields = ["architecture", "hiddenSizes", "latentDim", "activation", "likelihood", "sigma", "beta", "kind", "family"];

    /// <summary>
    /// Reads a request body (a JSON object; an empty body is {}) into a request whose model is built
    /// from the family registry with the dataset's shape, then checks it. Only syntax errors are left
    /// to the caller: every other problem comes back as a <see cref="FieldProblem"/>.
    /// </summary>
    public static async Task<(TrainingPlan? Plan, IReadOnlyList<FieldProblem> Problems)> ReadAsync(
        JsonObject body, DatasetCatalog datasets, JobsOptions jobs, CancellationToken ct)
    {
        var problems = new List<FieldProblem>();
        body = (JsonObject)body.DeepClone();
        body.Remove("model", out var modelNode);

        TrainingRequest? request = null;
        foreach (var (key, _) in body)
        {
            if (LegacyModelFields.Contains(key))
                problems.Add(new(key, $"now belongs in the \"model\" object, e.g. {{\"model\": {{\"family\": \"mlp\", \"{key}\": ...}}}}."));
            else if (!RequestFields.Contains(key))
                problems.Add(new(key, $"is not a field of a training request; the fields are {Quote(RequestFields)}."));
        }
        if (problems.Count == 0)
        {
            try
            {
                request = body.Deserialize<TrainingRequest>(RequestJson);
            }
            catch (JsonException e)
            {
                problems.Add(new(FieldOf(e.Path, ""), $"has the wrong type: {Plain(e)}"));
            }
        }
        request ??= new TrainingRequest();

        var dataset = await FindDatasetAsync(request.Dataset, datasets, problems, ct);
        ModelConfig? model = null;
        if (dataset is not null) model = ReadModel(modelNode, dataset, problems);
        else if (modelNode is not null and not JsonObject) problems.Add(new("model", "must be a JSON object with a \"family\" (mlp, conv or resnet) and that family's fields."));

        if (problems.Count > 0) return (null, problems);
        return Check(request with { Model = model }, dataset!, jobs);
    }

    /// <summary>
    /// Checks a request whose model is already built (a stored job's, when it starts or resumes):
    /// the limits may have changed since the job was accepted, or the dataset may have gone.
    /// </summary>
    public static async Task<(TrainingPlan? Plan, IReadOnlyList<FieldProblem> Problems)> RecheckAsync(
        TrainingRequest request, DatasetCatalog datasets, JobsOptions jobs, CancellationToken ct)
    {
        var problems = new List<FieldProblem>();
        var dataset = await datasets.FindAsync(request.Dataset, ct);
        if (dataset is null)
        {
            return (null, [new("dataset", $"'{request.Dataset}' no longer exists: it was deleted after the job was queued. " +
                "Upload the images again (POST /api/datasets) and queue a new job on the new dataset.")]);
        }
        if (request.Model is null) return (null, [new("model", "is missing from the stored request.")]);
        CheckModel(request.Model, dataset, problems);
        if (problems.Count > 0) return (null, problems);
        return Check(request, dataset, jobs);
    }

    /// <summary>
    /// A dataset and a model object read as a training request reads them (the family's defaults, the
    /// dataset's shape and classes), for requests that describe a model without training it (an import).
    /// </summary>
    public static async Task<(DatasetInfo? Dataset, ModelConfig? Model, IReadOnlyList<FieldProblem> Problems)> ReadModelAsync(
        JsonNode? model, string? dataset, DatasetCatalog datasets, CancellationToken ct)
    {
        var problems = new List<FieldProblem>();
        var info = await FindDatasetAsync(dataset, datasets, problems, ct);
        var config = info is null ? null : ReadModel(model, info, problems);
        return problems.Count > 0 ? (info, null, problems) : (info, config, problems);
    }

    /// <summary>422 naming every bad field; "errors" maps each field to its messages, as validation problems do.</summary>
    public static ProblemHttpResult ToProblem(IReadOnlyList<FieldProblem> problems)
    {
        string detail = problems.Count == 1
            ? $"{problems[0].Field} {problems[0].Message}"
            : $"{problems.Count} values are not accepted: " + string.Join(" ", problems.Select(p => $"{p.Field} {p.Message}"));
        var result = Problems.Unprocessable(detail);
        result.ProblemDetails.Extensions["errors"] = problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray());
        return result;
    }

    /// <summary>Test images a default evaluation covers: a tenth of the training run's cost, within bounds.</summary>
    public static int DefaultEvaluationImages(int epochs, int trainImages, int testImages, int importanceSamples)
    {
        // A training image costs about three forward passes (forward and backward), an evaluated one
        // an encoder pass plus k decoder passes: about 1 + k/2 forward passes.
        double budget = EvaluationBudget * 3.0 * epochs * trainImages / (1 + (importanceSamples / 2.0));
        int images = (int)Math.Clamp(budget, MinDefaultEvaluationImages, MaxDefaultEvaluationImages);
        return Math.Max(1, Math.Min(images, testImages));
    }

    // ---- the request's own fields ----

    private static readonly JsonSerializerOptions RequestJson = CreateRequestJson();

    private static JsonSerializerOptions CreateRequestJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        options.MakeReadOnly();
        return options;
    }

    private static readonly string[] RequestFields =
        [.. RequestJson.GetTypeInfo(typeof(TrainingRequest)).Properties.Select(p => p.Name)];

    private static (TrainingPlan? Plan, IReadOnlyList<FieldProblem> Problems) Check(TrainingRequest request, DatasetInfo dataset, JobsOptions jobs)
    {
        var problems = new List<FieldProblem>();
        void Problem(string field, string message) => problems.Add(new FieldProblem(field, message));
        var model = request.Model!;
        var recipe = model.Owner.Recipe;

        int epochs = request.Epochs ?? Math.Min(DefaultEpochs, jobs.MaxEpochs);
        if (epochs < 1 || epochs > jobs.MaxEpochs) Problem("epochs", $"must be between 1 and {jobs.MaxEpochs} (got {epochs}).");
        int batchSize = request.BatchSize ?? recipe.BatchSize;
        if (batchSize is < 1 or > MaxBatchSize) Problem("batchSize", $"must be between 1 and {MaxBatchSize} (got {batchSize}).");
        float rate = request.LearningRate ?? recipe.LearningRate;
        if (!float.IsFinite(rate) || rate <= 0 || rate > 1) Problem("learningRate", $"must be greater than 0 and at most 1 (got {Show(rate)}).");
        if (request.Seed < 0) Problem("seed", $"must be between 0 and {long.MaxValue} (got {request.Seed}).");
        if (request.MaxTrainImages is < 1) Problem("maxTrainImages", $"must be at least 1, or left out to train on all {dataset.TrainImages} images (got {request.MaxTrainImages}).");
        if (request.MaxTestImages is < 1) Problem("maxTestImages", $"must be at least 1, or left out to test on all {dataset.TestImages} images (got {request.MaxTestImages}).");

        string? name = string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim();
        // The name registers the model (a new version of it each time), and appears in URLs.
        if (name is not null && Models.ModelNames.Problem(name) is { } badName) Problem("name", badName);

        var settings = request.Evaluation ?? new EvaluationSettings();
        int trainImages = Math.Min(request.MaxTrainImages ?? int.MaxValue, dataset.TrainImages);
        int testImages = Math.Min(request.MaxTestImages ?? int.MaxValue, dataset.TestImages);
        int k = settings.ImportanceSamples ?? DefaultImportanceSamples;
        if (k is < 1 or > MaxImportanceSamples) Problem("evaluation.importanceSamples", $"must be between 1 and {MaxImportanceSamples} (got {k}).");
        int evaluated = settings.Images ?? DefaultEvaluationImages(Math.Max(1, epochs), Math.Max(1, trainImages), Math.Max(1, testImages), Math.Clamp(k, 1, MaxImportanceSamples));
        if (evaluated < 1) Problem("evaluation.images", $"must be at least 1 (got {evaluated}).");
        string? device = request.Device is { } asked ? TrainingDevice.Normalize(asked) : null;
        if (request.Device is not null && device is null)
            Problem("device", $"must be {Quote(TrainingDevice.Accepted)}, or left out to train on whatever device the node has (got {Show(request.Device)}).");

        if (problems.Count > 0) return (null, problems);

        var normalized = request with
        {
            Name = name,
            Dataset = dataset.Id,
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = rate,
            Evaluation = settings with { ImportanceSamples = k, Images = Math.Min(evaluated, testImages) },
            Device = device,
        };
        var training = new TrainingOptions
        {
            Epochs = epochs, BatchSize = batchSize, LearningRate = rate, Seed = (ulong)request.Seed, AverageLossOverBatch = recipe.AverageOverBatch,
        };
        var evaluation = settings.Enabled
            ? new EvaluationOptions { ImportanceSamples = k, MaxImages = evaluated, Seed = (ulong)request.Seed }
            : null;
        return (new TrainingPlan(normalized, dataset, model, training, evaluation), problems);
    }

    private static async Task<DatasetInfo?> FindDatasetAsync(string? id, DatasetCatalog datasets, List<FieldProblem> problems, CancellationToken ct)
    {
        var dataset = await datasets.FindAsync(id, ct);
        if (dataset is null)
        {
            var all = await datasets.ListAsync(ct);
            problems.Add(new("dataset", $"must be one of {Quote(all.Select(d => d.Id))} (got {Show(id)}); GET /api/datasets lists them, and POST /api/datasets adds one."));
        }
        return dataset;
    }

    // ---- the model object ----

    /// <summary>
    /// The model object as a configuration: the family's defaults for what it leaves out, the
    /// dataset's shape and classes for the shape fields and classCount.
    /// </summary>
    private static ModelConfig? ReadModel(JsonNode? node, DatasetInfo dataset, List<FieldProblem> problems)
    {
        var model = node switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => null,
        };
        if (model is null)
        {
            problems.Add(new("model", "must be a JSON object with a \"family\" (mlp, conv or resnet) and that family's fields."));
            return null;
        }

        string familyName = "mlp";
        if (model["family"] is { } f)
        {
            if (f is JsonValue v && v.TryGetValue<string>(out var s)) familyName = s.Trim();
            else familyName = "";
        }
        var family = ModelRegistry.TryFind(familyName);
        if (family is null)
        {
            problems.Add(new("model.family", $"must be one of {Quote(ModelRegistry.Names)} (got {Show(model["family"]?.ToJsonString())})."));
            return null;
        }
        model["family"] = family.Name;

        var fields = ModelRegistry.Fields(family).Select(p => p.Name).Append("family").ToArray();
        int before = problems.Count;
        foreach (var (key, _) in model)
        {
            if (!fields.Contains(key, StringComparer.OrdinalIgnoreCase))
                problems.Add(new($"model.{key}", $"is not a field of the {family.Name} family; its fields are {Quote(fields.Where(x => x != "family"))}."));
        }

        // The shape comes from the dataset; a value that disagrees with it is a mistake worth naming.
        int[] shape = [dataset.Channels, dataset.Height, dataset.Width];
        for (int i = 0; i < ShapeFields.Length; i++)
        {
            string field = ShapeFields[i];
            if (!model.ContainsKey(field)) model[field] = shape[i];
            else if (model[field] is not JsonValue given || !given.TryGetValue<int>(out int value) || value != shape[i])
                problems.Add(new($"model.{field}", $"is {model[field]?.ToJsonString() ?? "null"}, but the {dataset.Id} images are {dataset.Channels}x{dataset.Height}x{dataset.Width} (channels x height x width); leave it out to take the dataset's."));
        }

        bool conditional = model["conditional"] is JsonValue c && c.TryGetValue<bool>(out bool isConditional) && isConditional;
        if (conditional)
        {
            if (!dataset.IsLabelled)
                problems.Add(new("model.conditional", $"needs labelled images, and the {dataset.Id} dataset has no labels; train an unconditional model, or upload the images in one folder per class."));
            else if (!model.ContainsKey("classCount")) model["classCount"] = dataset.ClassNames!.Count;
            else if (model["classCount"] is not JsonValue k || !k.TryGetValue<int>(out int classes) || classes != dataset.ClassNames!.Count)
                problems.Add(new("model.classCount", $"is {model["classCount"]?.ToJsonString() ?? "null"}, but the {dataset.Id} dataset has {dataset.ClassNames!.Count} classes; leave it out to take the dataset's."));
        }
        if (problems.Count > before) return null;

        ModelConfig config;
        try
        {
            config = ModelRegistry.Deserialize(model);
        }
        catch (JsonException e)
        {
            problems.Add(new(FieldOf(e.Path, "model"), $"has the wrong type or value: {Plain(e)}"));
            return null;
        }
        CheckModel(config, dataset, problems);
        return problems.Count > before ? null : config;
    }

    private static void CheckModel(ModelConfig config, DatasetInfo dataset, List<FieldProblem> problems)
    {
        var configProblems = config.Problems();
        foreach (var p in configProblems)
        {
            string message = ShapeDependent(p.Field) ? $"{p.Message} (the {dataset.Id} images are {dataset.Height}x{dataset.Width})" : p.Message;
            problems.Add(new($"model.{p.Field}", message));
        }
        if (configProblems.Count > 0) return;
        if (config.Owner.CheckInput(config, dataset.Channels, dataset.Height, dataset.Width) is { } mismatch)
            problems.Add(new("model", $"{mismatch} The {dataset.Id} dataset has {dataset.Channels}x{dataset.Height}x{dataset.Width} images."));
        if (config.Conditional && !dataset.IsLabelled)
            problems.Add(new("model.conditional", $"needs labelled images, and the {dataset.Id} dataset has no labels."));
        else if (config.Conditional && config.ClassCount != dataset.ClassNames!.Count)
            problems.Add(new("model.classCount", $"is {config.ClassCount}, but the {dataset.Id} dataset has {dataset.ClassNames!.Count} classes."));
    }

    // Problems about layer counts against the image size read better with the dataset's size beside them.
    private static bool ShapeDependent(string field) => field is "convChannels" or "widths" or "height" or "width";

    // ---- wording ----

    /// <summary>"$.model.latentDim" → "model.latentDim"; the prefix names the object the path is relative to.</summary>
    private static string FieldOf(string? path, string prefix)
    {
        string field = (path ?? "").TrimStart('$').TrimStart('.');
        if (field.Length == 0) return prefix.Length == 0 ? "body" : prefix;
        return prefix.Length == 0 ? field : $"{prefix}.{field}";
    }

    /// <summary>A JSON error without the .NET type names System.Text.Json puts in it.</summary>
    private static string Plain(JsonException e)
    {
        // The engine words a bad enum value its own way around the serializer's error; the service's wording comes from the original.
        string message = e.InnerException is JsonException original ? original.Message : e.Message;
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return "is not a known field.";
        if (message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            int to = message.IndexOf("converted to ", StringComparison.Ordinal) + "converted to ".Length;
            string type = message[to..].TrimEnd('.').Split('.').Last().Replace("Nullable`1[", "").TrimEnd(']');
            message = $"expected {Describe(type)}.";
        }
        return message;
    }

    private static string Describe(string dotnetType) => EnumNamed(dotnetType) is { } e
        ? "one of " + Quote(Enum.GetNames(e).Select(JsonNamingPolicy.CamelCase.ConvertName))
        : dotnetType switch
    {
        "Int32" or "Int64" => "a whole number",
        "Single" or "Double" => "a number",
        "Boolean" => "true or false",
        "String" => "a string",
        "Int32[]" => "a list of whole numbers",
        _ => "a value of another type (" + dotnetType + ")",
    };

    private static Type? EnumNamed(string name)
        => typeof(ModelConfig).Assembly.GetExportedTypes().FirstOrDefault(t => t.IsEnum && t.Name == name);

    private static string Quote(IEnumerable<string> values)
    {
        var quoted = values.Select(v => $"'{v}'").ToArray();
        return quoted.Length <= 1 ? string.Concat(quoted) : string.Join(", ", quoted[..^1]) + " or " + quoted[^1];
    }

    private static string Show(string? value) => value is null ? "nothing" : $"'{(value.Length > 40 ? value[..40] + "..." : value)}'";

    private static string Show(float value) => value.ToString(CultureInfo.InvariantCulture);
}
