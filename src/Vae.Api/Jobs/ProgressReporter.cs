using Vae.Api.Storage;
using Vae.Engine.Training;

namespace Vae.Api.Jobs;

/// <summary>
/// Tells the world how a job's training goes, from the training thread: every batch to the event
/// stream (with the speed and the time left), and to the job record every few seconds and after
/// every epoch, so GET /api/jobs/{id} (on any node) shows the batch within the epoch too. A failed
/// write of progress is logged and training goes on: progress is worth less than the run. A write
/// that finds a cancel requested in the record calls <paramref name="cancelRequested"/>: that is how a
/// cancel asked of another node reaches the node that trains the job. A record that names another
/// node (the cluster took this node for dead and gave the job to another) is left alone and
/// <paramref name="takenOver"/> is called: the node that lost the job stops training it. Events carry
/// <paramref name="attempt"/>, the job's run, so a stream can tell a run's batches from an earlier one's.
/// </summary>
public sealed class ProgressReporter(
    string jobId, string nodeId, int attempt, int totalEpochs, JobRecords records, JobProgress progress, TrainingClock clock, TimeSpan interval, TimeProvider time, ILogger log,
    Action cancelRequested, Action takenOver)
{
    private long _lastWrite;
    private bool _written;

    public void Batch(BatchProgress b)
    {
        double? left = clock.SecondsLeft(b.Epoch, b.Batch);
        progress.Publish(jobId, JobEvent.Batch(new BatchProgressView(
            jobId, b.Epoch, b.Epochs, b.Batch, b.BatchCount, b.Step, b.Losses.AsView(), clock.ImagesPerSecond, left, attempt)));
        if (_written && time.GetElapsedTime(_lastWrite) < interval) return;
        Write(r => r with { Progress = Record(JobPhase.Training, b.Epoch, b.Batch, b.BatchCount, left) });
    }

    public void Epoch(EpochMetrics m, IReadOnlyList<EpochMetrics> history)
    {
        double? left = clock.SecondsLeft(m.Epoch + 1, 0);
        int next = Math.Min(m.Epoch + 1, totalEpochs);
        Write(r => r with { Epochs = [.. history], Progress = Record(JobPhase.Training, next, 0, clock.BatchCount, left) });
        progress.Publish(jobId, JobEvent.Epoch(new EpochProgressView(jobId, m.Epoch, totalEpochs, m.Train.AsView(), m.Test.AsView(), m.Seconds, left, attempt)));
    }

    public void Evaluating(int epochs)
    {
        double? left = clock.ImagesPerSecond is { } rate ? clock.EvaluationSeconds(rate) : null;
        Write(r => r with { Progress = Record(JobPhase.Evaluating, epochs, clock.BatchCount, clock.BatchCount, left) });
    }

    private bool OwnedHere(JobRecord r) => r.Node is null || r.Node == nodeId;

    private JobProgressRecord Record(JobPhase phase, int epoch, int batch, int batchCount, double? left)
        => new(phase, epoch, batch, batchCount, clock.ImagesPerSecond, left, records.Now);

    private void Write(Func<JobRecord, JobRecord> change)
    {
        _lastWrite = time.GetTimestamp();
        _written = true;
        try
        {
            var (_, stored) = records.UpdateAsync(jobId, r => r.IsFinished || !OwnedHere(r) ? null : change(r), CancellationToken.None).GetAwaiter().GetResult();
            if (stored is not null && !OwnedHere(stored)) takenOver();
            else if (stored is { CancelRequested: true }) cancelRequested();
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Job {JobId}: progress could not be stored", jobId);
        }
    }
}
