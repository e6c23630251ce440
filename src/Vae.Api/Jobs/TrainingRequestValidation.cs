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

    /// <summary>Model settings sent beside the request's own fields, as requests once carried them: any family's field, or an old one.</summary>
    private static readonly HashSet<string> ModelFields = new(
        ModelRegistry.Families.SelectMany(f => ModelRegistry.Fields(f).Select(p => p.Name)).Append("family").Concat(LegacyConfigs.RequestFields),
        StringComparer.Ordinal);

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
            if (ModelFields.Contains(key) && !RequestFields.Contains(key))
                problems.Add(new(key, $"now belongs in the \"model\" object, e.g. {{\"model\": {{\"family\": \"{ModelRegistry.DefaultFamily.Name}\", \"{key}\": ...}}}}."));
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
                problems.Add(new(FieldOf(e.Path, ""), $"has the wrong type: {JsonBody.Explain(e)}"));
            }
        }
        request ??= new TrainingRequest();

        var dataset = await FindDatasetAsync(request.Dataset, datasets, problems, ct);
        ModelConfig? model = null;
        if (dataset is not null) model = await ReadModelAsync(modelNode, dataset, datasets, problems, ct);
        else if (modelNode is not null and not JsonObject) problems.Add(new("model", ModelMustBeAnObject));

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
        var config = info is null ? null : await ReadModelAsync(model, info, datasets, problems, ct);
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
    private static async Task<ModelConfig?> ReadModelAsync(JsonNode? node, DatasetInfo dataset, DatasetCatalog datasets, List<FieldProblem> problems, CancellationToken ct)
    {
        var model = node switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => null,
        };
        if (model is null)
        {
            problems.Add(new("model", ModelMustBeAnObject));
            return null;
        }

        string familyName = ModelRegistry.DefaultFamily.Name;
        if (model["family"] is { } f)
        {
            if (f is JsonValue v && v.TryGetValue<string>(out var s)) familyName = s.Trim();
            else familyName = "";
        }
        var family = ModelRegistry.TryFind(familyName);
        if (family is null)
        {
            problems.Add(new("model.family", $"must be one of {Quote(ModelRegistry.Names)} (got {ShowJson(model["family"])}); GET /api/families describes them."));
            return null;
        }
        model["family"] = family.Name;

        // What the client set itself, as opposed to what the family's defaults and the dataset fill in.
        var sent = model.Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var fields = ModelRegistry.Fields(family).Select(p => p.Name).Append("family").ToArray();
        int before = problems.Count;
        foreach (var (key, _) in model)
        {
            if (!fields.Contains(key, StringComparer.OrdinalIgnoreCase))
                problems.Add(new($"model.{key}", $"is not a field of the {family.Name} family; its fields are {Quote(fields.Where(x => x != "family"))}."));
        }

        // The shape comes from the dataset; a value that disagrees with it is a mistake worth naming.
        int[] shape = [dataset.Channels, dataset.Height, dataset.Width];
        for (int i = 0; i < ModelRegistry.ShapeFields.Count; i++)
        {
            string field = ModelRegistry.ShapeFields[i];
            if (!model.ContainsKey(field)) model[field] = shape[i];
            else if (model[field] is not JsonValue given || !given.TryGetValue<int>(out int value) || value != shape[i])
                problems.Add(new($"model.{field}", $"is {model[field]?.ToJsonString() ?? "null"}, but the {dataset.Id} images are {dataset.Channels}x{dataset.Height}x{dataset.Width} (channels x height x width); leave it out to take the dataset's."));
        }

        bool conditional = model["conditional"] is JsonValue c && c.TryGetValue<bool>(out bool isConditional) && isConditional;
        if (conditional)
        {
            if (!dataset.IsLabelled)
                problems.Add(new("model.conditional", $"needs labelled images, and the {dataset.Id} dataset has no labels; train an unconditional model, or upload the images in one folder per class."));
            else if (!model.ContainsKey(ModelRegistry.ClassCountField)) model[ModelRegistry.ClassCountField] = dataset.ClassNames!.Count;
            else if (model[ModelRegistry.ClassCountField] is not JsonValue k || !k.TryGetValue<int>(out int classes) || classes != dataset.ClassNames!.Count)
                problems.Add(new($"model.{ModelRegistry.ClassCountField}", $"is {model[ModelRegistry.ClassCountField]?.ToJsonString() ?? "null"}, but the {dataset.Id} dataset has {dataset.ClassNames!.Count} classes; leave it out to take the dataset's."));
        }
        if (problems.Count > before) return null;

        ModelConfig config;
        try
        {
            config = ModelRegistry.Deserialize(model);
        }
        catch (JsonException e)
        {
            problems.Add(new(FieldOf(e.Path, "model"), $"has the wrong type or value: {JsonBody.Explain(e)}"));
            return null;
        }
        var unfit = UnfitDefaults(config, sent, dataset);
        if (unfit.Count > 0) problems.Add(new("dataset", await DatasetMismatchAsync(config, unfit, dataset, datasets, ct)));
        CheckModel(config, dataset, problems, skip: [.. unfit.Select(p => p.Field)]);
        return problems.Count > before ? null : config;
    }

    private static readonly string ModelMustBeAnObject =
        $"must be a JSON object with a \"family\" ({Quote(ModelRegistry.Names)}) and that family's fields; GET /api/families lists them.";

    /// <summary>
    /// Problems of the configuration that come from the dataset's image size alone, in fields the
    /// client left to the family's defaults (a ResNet's stages on 28x28 images): the client chose the
    /// dataset, not those fields, so the dataset is what the answer names.
    /// </summary>
    private static List<ConfigProblem> UnfitDefaults(ModelConfig config, HashSet<string> sent, DatasetInfo dataset)
        => [.. config.Problems().Where(p => !sent.Contains(p.Field) && !ModelRegistry.ShapeFields.Contains(p.Field) && ShapeDependent(config, p))];

    /// <summary>What to do instead, read from the registry and the catalogue: the datasets this model fits, the families and examples that fit this dataset.</summary>
    private static async Task<string> DatasetMismatchAsync(
        ModelConfig config, IReadOnlyList<ConfigProblem> unfit, DatasetInfo dataset, DatasetCatalog datasets, CancellationToken ct)
    {
        var family = config.Owner;
        string fields = Quote(unfit.Select(p => $"model.{p.Field}").Distinct());
        var fitting = (await datasets.ListAsync(ct)).Where(d => d.Id != dataset.Id && Fits(config, d)).Select(d => d.Id).ToList();
        var families = ModelRegistry.Families.Where(f => f != family && Fits(f.DefaultConfig, dataset)).Select(f => f.Name).ToList();
        var examples = family.Examples.Where(e => Fits(e.Value, dataset)).Select(e => e.Key).ToList();
        var ways = new List<string>();
        if (fitting.Count > 0) ways.Add($"train the {family.Name} on {Quote(fitting)}");
        if (families.Count > 0) ways.Add($"pick the {Quote(families)} family for {dataset.Id}");
        ways.Add(examples.Count > 0
            ? $"set {fields} yourself, as the {family.Name} example {Quote(examples)} does (GET /api/families/{family.Name})"
            : $"set {fields} yourself");
        string why = string.Join("; ", unfit.Select(p => $"model.{p.Field}: {p.Message.TrimEnd('.')}"));
        string todo = JoinOr(ways);
        return $"is {dataset.Id}, whose {Describe(dataset)} images the {family.Name} family's default model cannot take ({why}). " +
            $"{char.ToUpperInvariant(todo[0])}{todo[1..]}.";
    }

    /// <summary>Whether a configuration, given the dataset's shape (and classes), has no problem.</summary>
    private static bool Fits(ModelConfig config, DatasetInfo dataset)
    {
        var sized = config with { Channels = dataset.Channels, Height = dataset.Height, Width = dataset.Width };
        if (sized.Conditional) sized = dataset.IsLabelled ? sized with { ClassCount = dataset.ClassNames!.Count } : sized with { Conditional = false };
        return sized.Problems().Count == 0;
    }

    private static string Describe(DatasetInfo d) => $"{d.Height}x{d.Width} {(d.IsColour ? "colour" : d.Channels == 1 ? "gray" : $"{d.Channels}-channel")}";

    private static string JoinOr(IReadOnlyList<string> parts)
        => parts.Count <= 1 ? string.Concat(parts) : string.Join(", ", parts.Take(parts.Count - 1)) + ", or " + parts[^1];

    /// <summary>The configuration's problems, but those in <paramref name="skip"/> (already answered another way).</summary>
    private static void CheckModel(ModelConfig config, DatasetInfo dataset, List<FieldProblem> problems, IReadOnlyCollection<string>? skip = null)
    {
        var configProblems = config.Problems();
        foreach (var p in configProblems)
        {
            if (skip?.Contains(p.Field) == true) continue;
            string message = ShapeDependent(config, p) ? $"{p.Message} (the {dataset.Id} images are {dataset.Height}x{dataset.Width})" : p.Message;
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

    /// <summary>
    /// Whether a problem comes from the image size: it goes away at the size of the family's own
    /// default model. Such problems read better with the dataset's size beside them.
    /// </summary>
    private static bool ShapeDependent(ModelConfig config, ConfigProblem problem)
    {
        var own = config.Owner.DefaultConfig;
        var resized = config with { Channels = own.Channels, Height = own.Height, Width = own.Width };
        return !resized.Problems().Any(p => p.Field == problem.Field);
    }

    // ---- wording ----

    /// <summary>"$.model.latentDim" → "model.latentDim"; the prefix names the object the path is relative to.</summary>
    private static string FieldOf(string? path, string prefix)
    {
        string field = (path ?? "").TrimStart('$').TrimStart('.');
        if (field.Length == 0) return prefix.Length == 0 ? "body" : prefix;
        return prefix.Length == 0 ? field : $"{prefix}.{field}";
    }

    private static string Quote(IEnumerable<string> values) => JsonBody.Quote(values);

    private static string Show(string? value) => value is null ? "nothing" : $"'{(value.Length > 40 ? value[..40] + "..." : value)}'";

    /// <summary>A JSON value as a person wrote it: a string in single quotes, anything else as JSON.</summary>
    private static string ShowJson(JsonNode? value)
        => value is JsonValue v && v.TryGetValue<string>(out var text) ? Show(text) : value is null ? "null" : value.ToJsonString();

    private static string Show(float value) => value.ToString(CultureInfo.InvariantCulture);
}
