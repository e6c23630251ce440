using Vae.Api.Storage;
using Vae.Engine.Training;

namespace Vae.Api.Jobs;

/// <summary>Mean losses per image in nats; null where training produced a non-finite number.</summary>
public sealed record LossView(double? Loss, double? Reconstruction, double? Kl);

/// <summary>One finished epoch: train and test losses and the seconds its training pass took.</summary>
public sealed record EpochView(int Epoch, LossView Train, LossView Test, double Seconds);

/// <summary>A training job as the API shows it.</summary>
/// <param name="Model">"vae" or "ae".</param>
/// <param name="Configuration">The request with every default filled in.</param>
/// <param name="CurrentEpoch">Epochs finished so far.</param>
/// <param name="CancelRequested">A cancel was asked for; a running job stops after its current batch.</param>
/// <param name="DurationSeconds">From start to finish, or to now while the job runs.</param>
public sealed record JobView(
    string Id,
    string? Name,
    JobStatus Status,
    string Dataset,
    string Model,
    TrainingRequest Configuration,
    int CurrentEpoch,
    int TotalEpochs,
    IReadOnlyList<EpochView> Epochs,
    string? ModelId,
    string? Error,
    bool CancelRequested,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds);

/// <summary>Sent as an SSE "batch" event after every training batch.</summary>
public sealed record BatchProgressView(string JobId, int Epoch, int TotalEpochs, int Batch, int BatchCount, long Step, LossView Losses);

/// <summary>Sent as an SSE "epoch" event after every epoch (and its checkpoint).</summary>
public sealed record EpochProgressView(string JobId, int Epoch, int TotalEpochs, LossView Train, LossView Test, double Seconds);

public static class JobViewExtensions
{
    public static JobView AsView(this JobRecord job, DateTimeOffset? now = null)
    {
        double? duration = job.StartedAt is not { } started ? null
            : job.FinishedAt is { } finished ? (finished - started).TotalSeconds
            : job.Status == JobStatus.Running && now is { } n ? Math.Max(0, (n - started).TotalSeconds)
            : null;
        return new JobView(
            job.Id, job.Name, job.Status, job.Request.Dataset, job.Request.Model, job.Request,
            job.Epochs.Count, job.Request.Epochs, job.Epochs.Select(AsView).ToArray(),
            job.ModelId, job.Error, job.CancelRequested, job.CreatedAt, job.StartedAt, job.FinishedAt, duration);
    }

    public static EpochView AsView(this EpochMetrics m) => new(m.Epoch, m.Train.AsView(), m.Test.AsView(), m.Seconds);

    public static LossView AsView(this LossSummary s) => new(Finite(s.Loss), Finite(s.Reconstruction), Finite(s.Kl));

    public static BatchProgressView AsView(this BatchProgress b, string jobId)
        => new(jobId, b.Epoch, b.Epochs, b.Batch, b.BatchCount, b.Step, b.Losses.AsView());

    public static EpochProgressView AsProgressView(this EpochMetrics m, string jobId, int totalEpochs)
        => new(jobId, m.Epoch, totalEpochs, m.Train.AsView(), m.Test.AsView(), m.Seconds);

    // JSON has no NaN or Infinity; null says "not a number" without breaking clients.
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
