using System.Text.Json.Nodes;
using Vae.Api.Jobs;
using Vae.Api.Models;
using Vae.Api.Storage;

namespace Vae.Api.Sweeps;

/// <summary>
/// Where a sweep stands, from its jobs: queued until one starts, running while any job is queued
/// or running, then succeeded (every job), partiallySucceeded (some), failed (none, and at least
/// one failed) or cancelled (none, and none failed).
/// </summary>
public enum SweepStatus { Queued, Running, Succeeded, PartiallySucceeded, Failed, Cancelled }

/// <summary>How many of a sweep's jobs are in each state.</summary>
public sealed record SweepCounts(int Queued, int Running, int Succeeded, int Failed, int Cancelled);

/// <summary>What one point's job has measured so far.</summary>
/// <param name="Epoch">The epoch the losses are from: the last one finished (all of them once the job has succeeded).</param>
/// <param name="Train">Mean training losses of that epoch, per image in nats.</param>
/// <param name="Test">Mean test losses after that epoch, per image in nats.</param>
/// <param name="Elbo">The model's evaluation after training: the ELBO per test image (a lower bound on log p(x)); null until the model exists, for a plain autoencoder, or when the evaluation was turned off.</param>
/// <param name="Iwae">The evaluation's importance-weighted bound on log p(x), tighter than the ELBO.</param>
/// <param name="BitsPerDim">The evaluation's bits per dimension, for Gaussian likelihoods (colour data).</param>
public sealed record SweepPointMetrics(int Epoch, LossView Train, LossView Test, double? Elbo, double? Iwae, double? BitsPerDim);

/// <summary>One point of a sweep and its job.</summary>
/// <param name="Values">The point's value of every grid key.</param>
/// <param name="JobId">The job training this point (GET /api/jobs/{id} has all of it).</param>
/// <param name="Progress">Share of the job done, 0 to 1; 1 once it has ended, however it ended.</param>
/// <param name="ModelId">The model the job made, once it has succeeded.</param>
/// <param name="Error">Why the job failed.</param>
/// <param name="Metrics">Losses of the last finished epoch and the model's evaluation; null before the first epoch ends.</param>
public sealed record SweepPointView(
    IReadOnlyDictionary<string, JsonNode?> Values, string JobId, JobStatus Status, double Progress, string? ModelId, string? Error, SweepPointMetrics? Metrics);

/// <summary>A sweep: one job per combination of the grid's values, every other setting (the seed included) the base request's.</summary>
/// <param name="Status">queued, running, then succeeded, partiallySucceeded, failed or cancelled (see the points for each job's).</param>
/// <param name="Progress">Share of the sweep's jobs done, 0 to 1.</param>
/// <param name="Base">The training request every point starts from, as sent.</param>
/// <param name="Grid">The swept fields (dotted paths into the training request) and their values, in the order sent.</param>
/// <param name="Points">One per combination of values, the last key varying fastest.</param>
public sealed record SweepView(
    string Id,
    string? Name,
    SweepStatus Status,
    double Progress,
    SweepCounts Counts,
    JsonObject Base,
    IReadOnlyDictionary<string, IReadOnlyList<JsonNode?>> Grid,
    IReadOnlyList<SweepPointView> Points,
    DateTimeOffset CreatedAt);

/// <summary>A page of sweeps, newest first.</summary>
/// <param name="NextCursor">Pass it as ?cursor= for the next page; null on the last page.</param>
public sealed record SweepList(IReadOnlyList<SweepView> Sweeps, string? NextCursor = null);

public static class SweepViewExtensions
{
    /// <summary>The sweep with where each of its jobs stands, read from the jobs and their models now.</summary>
    public static async Task<SweepView> AsViewAsync(this SweepRecord sweep, IVaeStore store, DateTimeOffset now, CancellationToken ct)
    {
        var points = new List<SweepPointView>(sweep.Points.Count);
        foreach (var point in sweep.Points)
        {
            var values = new Dictionary<string, JsonNode?>();
            for (int axis = 0; axis < sweep.Grid.Count; axis++)
                values[sweep.Grid[axis].Key] = sweep.Grid[axis].Values[point.Indices[axis]]?.DeepClone();
            var job = await store.GetJobAsync(point.JobId, ct);
            if (job is null)
            {
                // The job ended and its record was deleted (DELETE /api/jobs/{id}); the model it made stays, under the id made from the job's.
                var made = await store.GetModelAsync(ModelStore.IdForJob(point.JobId), ct);
                points.Add(made is null
                    ? new SweepPointView(values, point.JobId, JobStatus.Failed, 1, null, $"The record of job {point.JobId} was deleted, and the job left no model.", null)
                    : new SweepPointView(values, point.JobId, JobStatus.Succeeded, 1, made.Id, null, MetricsOf(made.Metrics, made)));
                continue;
            }
            var model = job.ModelId is { } modelId ? await store.GetModelAsync(modelId, ct) : null;
            points.Add(new SweepPointView(values, job.Id, job.Status, ProgressOf(job, now), job.ModelId, job.Error, MetricsOf(job.Epochs, model)));
        }

        var counts = new SweepCounts(
            points.Count(p => p.Status == JobStatus.Queued), points.Count(p => p.Status == JobStatus.Running),
            points.Count(p => p.Status == JobStatus.Succeeded), points.Count(p => p.Status == JobStatus.Failed),
            points.Count(p => p.Status == JobStatus.Cancelled));
        var grid = sweep.Grid.ToDictionary(a => a.Key, a => (IReadOnlyList<JsonNode?>)[.. a.Values.Select(v => v?.DeepClone())]);
        double progress = points.Count == 0 ? 1 : points.Average(p => p.Progress);
        return new SweepView(sweep.Id, sweep.Name, StatusOf(counts, points.Count), progress, counts, (JsonObject)sweep.Base.DeepClone(), grid, points, sweep.CreatedAt);
    }

    public static SweepStatus StatusOf(SweepCounts c, int total)
    {
        if (c.Queued == total) return SweepStatus.Queued;
        if (c.Queued + c.Running > 0) return SweepStatus.Running;
        if (c.Succeeded == total) return SweepStatus.Succeeded;
        if (c.Succeeded > 0) return SweepStatus.PartiallySucceeded;
        return c.Failed > 0 ? SweepStatus.Failed : SweepStatus.Cancelled;
    }

    private static double ProgressOf(JobRecord job, DateTimeOffset now)
    {
        if (job.IsFinished) return 1;
        if (job.Status == JobStatus.Queued) return 0;
        var view = job.AsView(now);
        return view.Progress?.Fraction ?? (view.TotalEpochs > 0 ? Math.Clamp((double)view.CurrentEpoch / view.TotalEpochs, 0, 1) : 0);
    }

    private static SweepPointMetrics? MetricsOf(IReadOnlyList<Vae.Engine.Training.EpochMetrics> epochs, ModelRecord? model)
    {
        if (epochs.Count == 0) return null;
        var last = epochs[^1].AsView();
        var e = model?.Evaluation;
        return new SweepPointMetrics(last.Epoch, last.Train, last.Test, Finite(e?.Elbo), Finite(e?.Iwae), Finite(e?.BitsPerDim));
    }

    // JSON has no NaN or Infinity: null stands for a value that is not a number.
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
