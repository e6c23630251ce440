using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Backends;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Training;

namespace Vae.Api.Jobs;

/// <summary>What a valid request turns into: the dataset, the model to build and how to train it.</summary>
/// <param name="Request">The request as stored: names lower-cased, the name trimmed.</param>
/// <param name="Training">Epochs, batch, rate and seed; threads and the checkpoint folder are the job's to add.</param>
public sealed record TrainingPlan(TrainingRequest Request, string Dataset, ModelConfig Model, TrainingOptions Training);

/// <summary>One field out of range, named as on the wire.</summary>
public sealed record FieldProblem(string Field, string Message);

/// <summary>
/// Checks every field of a <see cref="TrainingRequest"/> at once, so a client learns all that is
/// wrong in one answer, each problem with the range that is allowed.
/// </summary>
public static class TrainingRequestValidation
{
    public const int MaxHiddenLayers = 4;
    public const int MaxHiddenSize = 4096;
    public const int MaxLatentDim = 512;
    public const int MaxBatchSize = 4096;
    public const int MaxNameLength = 100;

    private static readonly string[] Models = ["vae", "ae"];
    private static readonly string[] Architectures = ["mlp"];
    private static readonly string[] Activations = ["relu", "leaky_relu", "tanh"];
    private static readonly string[] Likelihoods = ["bernoulli", "gaussian"];

    public static (TrainingPlan? Plan, IReadOnlyList<FieldProblem> Problems) Check(TrainingRequest request, JobsOptions jobs)
    {
        var problems = new List<FieldProblem>();
        void Problem(string field, string message) => problems.Add(new FieldProblem(field, message));

        string dataset = Normalize(request.Dataset);
        var source = DatasetCatalog.Find(dataset);
        if (source is null) Problem("dataset", $"must be one of {Quote(DatasetCatalog.Names)} (got {Show(request.Dataset)}).");

        string model = Normalize(request.Model);
        if (!Models.Contains(model)) Problem("model", $"must be {Quote(Models)} (got {Show(request.Model)}).");

        string architecture = Normalize(request.Architecture);
        if (architecture == "conv") Problem("architecture", "must be 'mlp'; convolutional models are not available yet.");
        else if (!Architectures.Contains(architecture)) Problem("architecture", $"must be 'mlp' (got {Show(request.Architecture)}).");

        if (request.HiddenSizes is not { Length: >= 1 and <= MaxHiddenLayers } hidden || hidden.Any(h => h is < 1 or > MaxHiddenSize))
            Problem("hiddenSizes", $"must list 1 to {MaxHiddenLayers} layer widths, each between 1 and {MaxHiddenSize} (got {ShowSizes(request.HiddenSizes)}).");

        if (request.LatentDim is < 1 or > MaxLatentDim) Problem("latentDim", $"must be between 1 and {MaxLatentDim} (got {request.LatentDim}).");

        string activation = Normalize(request.Activation);
        if (!Activations.Contains(activation)) Problem("activation", $"must be {Quote(Activations)} (got {Show(request.Activation)}).");

        string likelihood = Normalize(request.Likelihood);
        if (!Likelihoods.Contains(likelihood)) Problem("likelihood", $"must be {Quote(Likelihoods)} (got {Show(request.Likelihood)}).");

        if (!float.IsFinite(request.Sigma) || request.Sigma <= 0) Problem("sigma", $"must be a finite number greater than 0 (got {Show(request.Sigma)}).");
        if (!float.IsFinite(request.Beta) || request.Beta < 0) Problem("beta", $"must be a finite number of at least 0 (got {Show(request.Beta)}).");
        if (request.Epochs < 1 || request.Epochs > jobs.MaxEpochs) Problem("epochs", $"must be between 1 and {jobs.MaxEpochs} (got {request.Epochs}).");
        if (request.BatchSize is < 1 or > MaxBatchSize) Problem("batchSize", $"must be between 1 and {MaxBatchSize} (got {request.BatchSize}).");
        if (!float.IsFinite(request.LearningRate) || request.LearningRate <= 0 || request.LearningRate > 1)
            Problem("learningRate", $"must be greater than 0 and at most 1 (got {Show(request.LearningRate)}).");
        if (request.Seed < 0) Problem("seed", $"must be between 0 and {long.MaxValue} (got {request.Seed}).");

        string? name = string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim();
        if (name is { Length: > MaxNameLength }) Problem("name", $"must be at most {MaxNameLength} characters (got {name.Length}).");

        if (problems.Count > 0 || source is null) return (null, problems);

        var normalized = request with
        {
            Dataset = source.Name, Model = model, Architecture = architecture, Activation = activation, Likelihood = likelihood,
            HiddenSizes = [.. request.HiddenSizes!], Name = name,
        };
        var config = new MlpConfig
        {
            Kind = model == "ae" ? ModelKind.Ae : ModelKind.Vae,
            Channels = source.Channels,
            Height = source.Height,
            Width = source.Width,
            HiddenSizes = [.. normalized.HiddenSizes],
            LatentDim = request.LatentDim,
            Activation = activation switch { "leaky_relu" => Activation.LeakyRelu, "tanh" => Activation.Tanh, _ => Activation.Relu },
            Likelihood = likelihood == "gaussian" ? Likelihood.Gaussian : Likelihood.Bernoulli,
            Sigma = request.Sigma,
            Beta = request.Beta,
        };
        var training = new TrainingOptions
        {
            Epochs = request.Epochs, BatchSize = request.BatchSize, LearningRate = request.LearningRate, Seed = (ulong)request.Seed,
        };
        return (new TrainingPlan(normalized, source.Name, config, training), problems);
    }

    /// <summary>422 naming every bad field; "errors" maps each field to its messages, as validation problems do.</summary>
    public static ProblemHttpResult ToProblem(IReadOnlyList<FieldProblem> problems)
    {
        string detail = problems.Count == 1
            ? $"{problems[0].Field} {problems[0].Message}"
            : $"{problems.Count} values are out of range: " + string.Join(" ", problems.Select(p => $"{p.Field} {p.Message}"));
        var result = Problems.Unprocessable(detail);
        result.ProblemDetails.Extensions["errors"] = problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray());
        return result;
    }

    private static string Normalize(string? value) => value?.Trim().ToLowerInvariant() ?? "";

    private static string Quote(IEnumerable<string> values)
    {
        var quoted = values.Select(v => $"'{v}'").ToArray();
        return quoted.Length <= 1 ? string.Concat(quoted) : string.Join(", ", quoted[..^1]) + " or " + quoted[^1];
    }

    private static string Show(string? value) => value is null ? "nothing" : $"'{(value.Length > 40 ? value[..40] + "..." : value)}'";

    private static string Show(float value) => value.ToString(CultureInfo.InvariantCulture);

    private static string ShowSizes(int[]? sizes) => sizes is null ? "nothing"
        : sizes.Length > 8 ? $"{sizes.Length} layers" : "[" + string.Join(", ", sizes) + "]";
}
