using Vae.Api.Storage;
using Vae.Engine.Training.Evaluation;

namespace Vae.Api.Models;

/// <summary>What a job knows about its model beyond the weights: the classes, the evaluation, the training time, the backend it trained on.</summary>
public sealed record ModelDetails(IReadOnlyList<string>? ClassNames, EvaluationRecord? Evaluation, double? TrainingSeconds, string? Device = null);

public static class EvaluationRecordExtensions
{
    public static EvaluationRecord AsRecord(this EvaluationReport r) => new(
        r.Images, Finite(r.Elbo), Finite(r.Iwae), r.ImportanceSamples, r.ActiveUnits, Finite(r.Reconstruction) ?? double.NaN, Finite(r.Kl), Finite(r.BitsPerDim), r.Seconds);

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
}
