using Vae.Api.Storage;
using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Jobs;

/// <summary>Mean losses per image in nats; null where training produced a non-finite number.</summary>
public sealed record LossView(double? Loss, double? Reconstruction, double? Kl);

/// <summary>One finished epoch: train and test losses and the seconds its training pass took.</summary>
public sealed record EpochView(int Epoch, LossView Train, LossView Test, double Seconds);

/// <summary>Where a running job stands.</summary>
/// <param name="Phase">training, then evaluating the trained model.</param>
/// <param name="Epoch">The epoch under way (1-based).</param>
/// <param name="Batch">Training batches done in that epoch.</param>
/// <param name="ImagesPerSecond">Training speed, smoothed over the last batches; null before the first has been timed.</param>
/// <param name="SecondsLeft">Estimated seconds to the end of the job (training, tests and evaluation); null until there is a speed to go by.</param>
/// <param name="Fraction">Share of the training batches done, 0 to 1.</param>
public sealed record JobProgressView(
    JobPhase Phase, int Epoch, int TotalEpochs, int Batch, int BatchCount, double? ImagesPerSecond, double? SecondsLeft, double Fraction, DateTimeOffset UpdatedAt);

/// <summary>One time a node started training the job.</summary>
/// <param name="Number">Which try this is, from 1.</param>
/// <param name="Node">The node that ran it (its Cluster:NodeId).</param>
/// <param name="StartedAt">When the node started it.</param>
/// <param name="EndedAt">When it ended; null while it runs.</param>
/// <param name="Error">Why it failed; null while it runs and when it ended well. "the node stopped while training it" when its node stopped and a later attempt took the job up again.</param>
public sealed record JobAttemptView(int Number, string? Node, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Error);

/// <summary>A training job as the API shows it.</summary>
/// <param name="Family">The model family: mlp, conv or resnet.</param>
/// <param name="Request">The request with every default filled in.</param>
/// <param name="CurrentEpoch">Epochs finished so far.</param>
/// <param name="Progress">While the job runs: the batch within the epoch, the speed and the time left.</param>
/// <param name="CancelRequested">A cancel was asked for; a running job stops after its current batch.</param>
/// <param name="Node">The node that trains (or trained) the job (its Cluster:NodeId); null while queued.</param>
/// <param name="Device">The engine backend that trains (or trained) the job (cpu, cuda, ilgpu-cpu); null while queued.</param>
/// <param name="Waiting">Why a queued job has not started: a node took it and could not train it (it asks for a GPU); null otherwise.</param>
/// <param name="Attempts">Every time a node started the job, oldest first: a job is tried again after a transient failure or when its node stopped; empty while queued for the first time.</param>
/// <param name="DurationSeconds">From start to finish, or to now while the job runs.</param>
public sealed record JobView(
    string Id,
    string? Name,
    JobStatus Status,
    string Dataset,
    string Family,
    TrainingRequest Request,
    int CurrentEpoch,
    int TotalEpochs,
    JobProgressView? Progress,
    IReadOnlyList<EpochView> Epochs,
    string? ModelId,
    string? Error,
    bool CancelRequested,
    string? Node,
    string? Device,
    string? Waiting,
    IReadOnlyList<JobAttemptView> Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds);

/// <summary>A page of jobs, newest first.</summary>
/// <param name="NextCursor">Pass it as ?cursor= for the next page; null on the last page.</param>
public sealed record JobList(IReadOnlyList<JobView> Jobs, string? NextCursor = null);

/// <summary>Sent as an SSE "batch" event after a training batch (the newest, a few times a second).</summary>
/// <param name="Attempt">Which run of the job trained it (see the job's attempts), from 1.</param>
public sealed record BatchProgressView(
    string JobId, int Epoch, int TotalEpochs, int Batch, int BatchCount, long Step, LossView Losses, double? ImagesPerSecond, double? SecondsLeft, int Attempt = 1);

/// <summary>Sent as an SSE "epoch" event after every epoch (and its checkpoint).</summary>
/// <param name="SecondsLeft">Estimated seconds to the end of the job; null when unknown (an epoch sent again to a client that resumed its stream).</param>
/// <param name="Attempt">Which run of the job trained it (see the job's attempts), from 1.</param>
public sealed record EpochProgressView(string JobId, int Epoch, int TotalEpochs, LossView Train, LossView Test, double Seconds, double? SecondsLeft, int Attempt = 1);

public static class JobViewExtensions
{
    public static JobView AsView(this JobRecord job, DateTimeOffset? now = null)
    {
        double? duration = job.StartedAt is not { } started ? null
            : job.FinishedAt is { } finished ? (finished - started).TotalSeconds
            : job.Status == JobStatus.Running && now is { } n ? Math.Max(0, (n - started).TotalSeconds)
            : null;
        int total = job.Request.Epochs ?? 0;
        var progress = job.Status == JobStatus.Running && job.Progress is { } p ? p.AsView(total) : null;
        return new JobView(
            job.Id, job.Name, job.Status, job.Request.Dataset, job.Request.Model?.Family ?? ModelRegistry.DefaultFamily.Name, job.Request,
            job.Epochs.Count, total, progress, job.Epochs.Select(AsView).ToArray(),
            job.ModelId, job.Error, job.CancelRequested, job.Node, job.Device, job.Waiting,
            job.Attempts.Select(a => new JobAttemptView(a.Number, a.Node, a.StartedAt, a.EndedAt, a.Error)).ToArray(), job.CreatedAt, job.StartedAt, job.FinishedAt, duration);
    }

    public static JobProgressView AsView(this JobProgressRecord p, int totalEpochs)
    {
        double fraction = totalEpochs <= 0 || p.BatchCount <= 0 ? 0
            : Math.Clamp(((p.Epoch - 1) + ((double)p.Batch / p.BatchCount)) / totalEpochs, 0, 1);
        if (p.Phase == JobPhase.Evaluating) fraction = 1;
        return new JobProgressView(p.Phase, p.Epoch, totalEpochs, p.Batch, p.BatchCount, Finite(p.ImagesPerSecond), Finite(p.SecondsLeft), fraction, p.UpdatedAt);
    }

    /// <summary>
    /// The view with its progress brought up to <paramref name="batch"/> when that is a later batch
    /// of the same run: a record's progress is written every few seconds (Jobs:ProgressIntervalSeconds),
    /// batches are heard of as they end.
    /// </summary>
    public static JobView WithLatestBatch(this JobView view, BatchProgressView? batch, DateTimeOffset now)
    {
        if (view.Status != JobStatus.Running || batch is null || batch.Attempt != view.Attempts.Count) return view;
        if (!JobEventId.Of(batch, 0).IsAfter(JobEventId.Of(view, 0))) return view;
        var progress = new JobProgressRecord(JobPhase.Training, batch.Epoch, batch.Batch, batch.BatchCount, batch.ImagesPerSecond, batch.SecondsLeft, now);
        return view with { Progress = progress.AsView(view.TotalEpochs) };
    }

    public static EpochView AsView(this EpochMetrics m) => new(m.Epoch, m.Train.AsView(), m.Test.AsView(), m.Seconds);

    public static LossView AsView(this LossSummary s) => new(Finite(s.Loss), Finite(s.Reconstruction), Finite(s.Kl));

    // JSON has no NaN or Infinity; null says "not a number" without breaking clients.
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
