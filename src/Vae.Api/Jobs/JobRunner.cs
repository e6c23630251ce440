using Microsoft.Extensions.Options;
using Vae.Api.Cluster;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Training;
using Vae.Engine.Training.Evaluation;

namespace Vae.Api.Jobs;

/// <summary>
/// Runs one job to its end, free of any job library: starts it (or hands it back when this node
/// cannot train it), trains its model checkpointing every epoch (see <see cref="JobCheckpoints"/>),
/// then publishes the model and records the end. The <see cref="IJobScheduler"/>'s worker calls it
/// with each run; a run that starts after a restart, on this node or another, resumes from the last
/// checkpoint. Several jobs may train at once, up to the scheduler's slots; nothing here lets an
/// exception reach the host.
/// </summary>
public sealed class JobRunner(
    JobRecords records,
    JobQueue queue,
    DatasetCatalog datasets,
    ModelStore models,
    JobProgress progress,
    JobCheckpoints checkpoints,
    NodeIdentity node,
    ITrainingGate gate,
    TimeProvider time,
    EngineBackend engine,
    IOptions<JobsOptions> options,
    IOptions<StorageOptions> storage,
    IHostApplicationLifetime lifetime,
    ILogger<JobRunner> log)
{
    /// <summary>How long the steps that cannot be skipped wait out an unreachable database.</summary>
    private TimeSpan OutagePatience => TimeSpan.FromSeconds(storage.Value.OutageWaitSeconds);

    /// <summary>
    /// Runs the job; <paramref name="schedulerToken"/> is the scheduler's own stop (its host shutting
    /// down). Throws <see cref="OperationCanceledException"/> only to hand an interrupted run back to
    /// the scheduler, which runs it again on the next start.
    /// </summary>
    public async Task RunAsync(JobRun run, CancellationToken schedulerToken)
    {
        string id = run.JobId;
        var cancel = queue.BeginRun(id);
        if (cancel is null)
        {
            log.LogWarning("Job {JobId} is already training in this process; this run is skipped", id);
            return;
        }
        try
        {
            await RunToEndAsync(run, cancel.Token, schedulerToken);
        }
        finally
        {
            queue.EndRun(id);
            gate.Pass(new TrainingPoint(id, node.Id, TrainingStep.Stopped), CancellationToken.None);
        }
    }

    /// <summary>Trains the job to its end, whatever that is; throws only to hand an interrupted run back to the scheduler.</summary>
    private async Task RunToEndAsync(JobRun run, CancellationToken cancelRequested, CancellationToken schedulerToken)
    {
        string id = run.JobId;
        bool recovering = run.Recovering;
        JobRecord? job;
        try
        {
            (_, job) = await StoreFaults.RetryWhileUnavailableAsync(() => records.UpdateAsync(id, r =>
                r.IsFinished ? null
                : r.CancelRequested ? records.Finish(r, JobStatus.Cancelled)
                : TrainingDevice.BackendFor(r.Request.Device, engine.Backend) is { } backend
                    ? records.BeginAttempt(r with { Status = JobStatus.Running, StartedAt = r.StartedAt ?? records.Now, Node = node.Id, Device = backend.Name, Waiting = null }, node.Id)
                    : HandedBack(r), CancellationToken.None),
                OutagePatience, log, $"starting job {id}", schedulerToken, time);
        }
        catch (Exception e) when (StoreFaults.IsUnavailable(e))
        {
            // The store is still unreachable: the record cannot say anything, so the scheduler tries again later.
            log.LogError(e, "Job {JobId} could not be started", id);
            throw new TransientJobFailure($"The database was out of reach for more than {OutagePatience.TotalSeconds:0} s as the job started.", e);
        }
        catch (Exception e)
        {
            log.LogError(e, "Job {JobId} could not be started", id);
            return;
        }
        if (job is null || job.IsFinished)
        {
            if (job is null) log.LogWarning("Job {JobId} has no record; nothing to train", id);
            // A failed or cancelled job keeps its checkpoint, for POST /api/jobs/{id}/resume.
            if (job is null || job.Status == JobStatus.Succeeded) await checkpoints.DeleteAsync(id);
            return;
        }
        if (job.Status == JobStatus.Queued)
        {
            // Not for this node (it asks for a device this node lacks): back to the queue, for a node that has it.
            // Logged at debug: it happens again at every poll until such a node takes the job.
            log.LogDebug("Job {JobId} {Waiting}; handed back to the queue", id, job.Waiting);
            try
            {
                await queue.HandBackAsync(run, CancellationToken.None);
            }
            catch (Exception e)
            {
                // Without a new trigger the job would wait forever: a restart's recovery schedules it again.
                log.LogError(e, "Job {JobId} could not be handed back to the queue; it is scheduled again when the service restarts", id);
            }
            return;
        }

        // Checked again: the limits may have changed since the job was accepted, or its dataset gone.
        TrainingPlan? plan;
        IReadOnlyList<FieldProblem> problems;
        try
        {
            (plan, problems) = await TrainingRequestValidation.RecheckAsync(job.Request, datasets, options.Value, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "Job {JobId} could not be checked", id);
            return;
        }
        if (plan is null)
        {
            await EndAsync(id, JobStatus.Failed,
                "The job's settings are no longer accepted: " + string.Join(" ", problems.Select(p => $"{p.Field} {p.Message}")));
            return;
        }

        using var takenOver = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancelRequested, schedulerToken, takenOver.Token);
        try
        {
            await TrainAsync(job, plan, recovering, takenOver, stop.Token);
        }
        catch (OperationCanceledException) when (takenOver.IsCancellationRequested)
        {
            // Another node runs the job now (the cluster took this one for dead): it owns the record and
            // the checkpoint, so nothing is ended or removed here.
            log.LogWarning("Job {JobId} was handed to another node while this node trained it; this node stops training it", id);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            var current = await records.GetAsync(id, CancellationToken.None);
            // The scheduler stopped the run while the host goes on: someone deleted it (the job dashboard): a cancel too.
            bool deleted = schedulerToken.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested;
            if (cancelRequested.IsCancellationRequested || current is null || current.CancelRequested || deleted)
            {
                // The checkpoint stays, so that POST /api/jobs/{id}/resume continues from it (DELETE /api/jobs/{id} removes it with the record).
                await EndAsync(id, JobStatus.Cancelled, null, keepCheckpoint: current is not null);
                log.LogInformation("Job {JobId} cancelled after {Epochs} epochs", id, current?.Epochs.Count ?? 0);
                return;
            }
            // Not a cancel: the scheduler is shutting down. The record stays "running" and the checkpoint
            // stays; rethrowing hands the run back to the scheduler, which runs it again on the next start.
            log.LogInformation("Job {JobId} paused by shutdown after {Epochs} epochs; it resumes on the next start", id, current.Epochs.Count);
            throw;
        }
        catch (TrainingDivergedException e)
        {
            await EndAsync(id, JobStatus.Failed, $"Training diverged: {e.Message}");
        }
        catch (DatasetUnavailableException e)
        {
            await EndAsync(id, JobStatus.Failed, e.Message);
        }
        catch (CheckpointWriteException e) when (run.Attempt < options.Value.MaxAttempts)
        {
            // The disk may have room again by the next try, which resumes from the previous epoch's checkpoint.
            await RetryLaterAsync(run, e.Message, keepCheckpoint: true);
            throw new TransientJobFailure(e.Message, e);
        }
        catch (Exception e) when (StoreFaults.IsUnavailable(e) && run.Attempt < options.Value.MaxAttempts)
        {
            string why = $"The database was out of reach for more than {OutagePatience.TotalSeconds:0} s.";
            await RetryLaterAsync(run, why, keepCheckpoint: true);
            throw new TransientJobFailure(why, e);
        }
        catch (CheckpointWriteException e)
        {
            // The previous epoch's checkpoint is intact and kept, so the job can resume from it once the
            // disk has room again (POST /api/jobs/{id}/resume).
            string next = e.Epoch > 1
                ? $"The checkpoint of epoch {e.Epoch - 1} is kept; once the folder can be written again, POST /api/jobs/{id}/resume continues from it."
                : $"Once the folder can be written again, POST /api/jobs/{id}/resume trains the job from the start.";
            await EndAsync(id, JobStatus.Failed, $"{e.Message.TrimEnd('.')}. {next}", keepCheckpoint: e.Epoch > 1);
        }
        catch (Exception e)
        {
            log.LogError(e, "Job {JobId} failed", id);
            await EndAsync(id, JobStatus.Failed, $"Training stopped by an unexpected error ({e.GetType().Name}): {e.Message}");
        }
    }

    private async Task TrainAsync(JobRecord job, TrainingPlan plan, bool recovering, CancellationTokenSource takenOver, CancellationToken ct)
    {
        string id = job.Id;
        await gate.PassAsync(new TrainingPoint(id, node.Id, TrainingStep.Started, job.Epochs.Count + 1), ct);
        var data = await datasets.OpenAsync(plan.Dataset.Id, ct);
        await checkpoints.RestoreAsync(id, ct);
        string folder = checkpoints.FolderOf(id);
        var train = data.Train.Take(plan.MaxTrainImages);
        var test = data.Test.Take(plan.MaxTestImages);
        // Made from the seed on the device the record names (the node's own, or the CPU for a job that
        // asks for it): the same weights on every device, as initialisers draw on the host.
        var model = ModelRegistry.Create(plan.Model, plan.Training.Seed, TrainingDevice.BackendFor(job.Request.Device, engine.Backend)!);
        var trainer = new Trainer(model, plan.Training with { Threads = options.Value.TrainingThreads, CheckpointDirectory = folder });
        int epochs = plan.Training.Epochs;
        int evaluationImages = plan.Evaluation is { } e ? Math.Min(e.MaxImages ?? test.Count, test.Count) : 0;
        var clock = new TrainingClock(epochs, train.Count, test.Count, plan.Training.BatchSize, evaluationImages, plan.Evaluation?.ImportanceSamples ?? 0, time);
        var reporter = new ProgressReporter(id, node.Id, job.Attempts.Count, epochs, records, progress, clock, TimeSpan.FromSeconds(options.Value.ProgressIntervalSeconds), time, log,
            cancelRequested: () => queue.CancelRunning(id), takenOver: takenOver.Cancel);
        long testStarted = time.GetTimestamp();
        trainer.BatchStarting = (epoch, batch) => gate.Pass(new TrainingPoint(id, node.Id, TrainingStep.Batch, epoch, batch), ct);
        trainer.BatchCompleted = b =>
        {
            clock.BatchDone(Math.Min(plan.Training.BatchSize, train.Count - ((b.Batch - 1) * plan.Training.BatchSize)));
            reporter.Batch(b);
            if (b.Batch == b.BatchCount) testStarted = time.GetTimestamp();
        };
        trainer.EpochCompleted = m =>
        {
            clock.TestDone(time.GetElapsedTime(testStarted).TotalSeconds);
            // On the training thread, after the checkpoint: the record never claims an epoch the checkpoint lacks.
            checkpoints.Saved(id);
            var history = trainer.History.ToArray();
            reporter.Epoch(m, history);
            gate.Pass(new TrainingPoint(id, node.Id, TrainingStep.EpochEnded, m.Epoch), ct);
        };

        if (TrainingCheckpoint.Exists(folder))
            log.LogInformation("Job {JobId} resumes from its checkpoint{Recovery}", id, recovering ? " after a restart" : "");
        else
            log.LogInformation("Job {JobId} training: {Family} on {Dataset}, {Epochs} epochs on {Train} images", id, plan.Model.Family, plan.Dataset.Id, epochs, train.Count);

        // Training is long and CPU-bound: it gets its own thread rather than one of the pool's.
        var (history, evaluation) = await Task.Factory.StartNew(() =>
        {
            // A dedicated thread that yields the CPU to request threads; it ends with the job.
            BackgroundPriority.LowerCurrentThread();
            var history = trainer.Fit(train, test, ct);
            if (plan.Evaluation is null) return (history, (EvaluationReport?)null);
            reporter.Evaluating(history.Count);
            gate.Pass(new TrainingPoint(id, node.Id, TrainingStep.Evaluating, history.Count), ct);
            var report = ModelEvaluator.Evaluate(model, test, plan.Evaluation with { Threads = options.Value.TrainingThreads }, ct);
            model.Backend.ReleaseCachedMemory();
            return (history, report);
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await gate.PassAsync(new TrainingPoint(id, node.Id, TrainingStep.Publishing, history.Count), ct);
        // The database may be out of reach for a moment as training ends: the model waits for it rather than being lost.
        var current = await StoreFaults.RetryWhileUnavailableAsync(() => records.GetAsync(id, CancellationToken.None), OutagePatience, log, $"finishing job {id}", CancellationToken.None, time);
        if (current is not null && current.Node != node.Id)
        {
            takenOver.Cancel();
            takenOver.Token.ThrowIfCancellationRequested();
        }
        if (current is { CancelRequested: true })
        {
            // Cancelled while the last epoch or the evaluation ended: the client was told it would be.
            queue.CancelRunning(id);
            ct.ThrowIfCancellationRequested();
        }
        var details = new ModelDetails(plan.Dataset.ClassNames, evaluation?.AsRecord(), history.Sum(h => h.Seconds), job.Device);
        var published = await StoreFaults.RetryWhileUnavailableAsync(
            () => models.PublishAsync(model, job.Name, plan.Dataset.Id, id, history, details, CancellationToken.None, ModelStore.IdForJob(id)),
            OutagePatience, log, $"publishing the model of job {id}", CancellationToken.None, time);
        // Before the record says "succeeded": whoever sees the end sees no leftovers. (A cancel that
        // lands between here and the record's end leaves the job without a checkpoint: resumed, it trains from the start.)
        await checkpoints.DeleteAsync(id);
        var (_, ended) = await StoreFaults.RetryWhileUnavailableAsync(
            () => records.UpdateAsync(id, r =>
                r.IsFinished ? null
                : r.CancelRequested ? records.EndAttempt(records.Finish(r, JobStatus.Cancelled) with { Epochs = [.. history], Progress = null }, null)
                : records.EndAttempt(records.Finish(r, JobStatus.Succeeded) with { Epochs = [.. history], ModelId = published.Id, Progress = null }, null), CancellationToken.None),
            OutagePatience, log, $"recording the end of job {id}", CancellationToken.None, time);
        if (ended is { Status: JobStatus.Cancelled })
        {
            // The cancel came while the model was being stored: it is honoured, and the model goes.
            await models.DeleteAsync(published.Id, CancellationToken.None);
            log.LogInformation("Job {JobId} cancelled as it published its model; the model was removed", id);
            return;
        }
        log.LogInformation("Job {JobId} succeeded: model {ModelId}, test loss {Loss:F2}", id, published.Id, history.Count > 0 ? history[^1].Test.Loss : double.NaN);
    }

    /// <summary>
    /// The record of a job this node does not train: queued again, saying why. A job recovered here
    /// after its node died (its record still running) is queued again too, its epochs and checkpoint kept
    /// for the node that takes it.
    /// </summary>
    private JobRecord HandedBack(JobRecord r) => r with
    {
        Status = JobStatus.Queued, Node = null, Device = null, Progress = null,
        Waiting = TrainingDevice.WaitingReason(r.Request.Device ?? "", node.Id, engine.Backend),
    };

    /// <summary>
    /// The record of a job whose attempt failed for a transient reason: queued again, saying why and that
    /// the scheduler retries it (it may not be writable now, if the database is what failed).
    /// </summary>
    private async Task RetryLaterAsync(JobRun run, string why, bool keepCheckpoint)
    {
        if (!keepCheckpoint) await checkpoints.DeleteAsync(run.JobId);
        string waiting = $"attempt {run.Attempt} of {options.Value.MaxAttempts} failed ({why.TrimEnd('.')}); it is tried again after a pause.";
        try
        {
            await records.UpdateAsync(run.JobId, r => r.IsFinished ? null : records.EndAttempt(r with { Status = JobStatus.Queued, Node = null, Progress = null, Waiting = waiting }, why),
                CancellationToken.None);
        }
        catch (Exception e) when (StoreFaults.IsUnavailable(e))
        {
            // The next attempt writes the record; until then it still says running.
        }
        log.LogWarning("Job {JobId}: {Waiting}", run.JobId, waiting);
    }

    private async Task EndAsync(string id, JobStatus status, string? error, bool keepCheckpoint = false)
    {
        if (!keepCheckpoint) await checkpoints.DeleteAsync(id);
        try
        {
            await StoreFaults.RetryWhileUnavailableAsync(
                () => records.UpdateAsync(id, r => r.IsFinished ? null : records.EndAttempt(records.Finish(r, status, error), error), CancellationToken.None),
                OutagePatience, log, $"recording the end of job {id}", CancellationToken.None, time);
            if (error is not null) log.LogWarning("Job {JobId} {Status}: {Error}", id, status, error);
        }
        catch (Exception e)
        {
            log.LogError(e, "Job {JobId} ended as {Status} but the record could not be updated", id, status);
        }
    }
}

/// <summary>An attempt that failed for a reason that may pass (the database away, the disk full): thrown so the scheduler runs the job again.</summary>
public sealed class TransientJobFailure(string message, Exception inner) : Exception(message, inner);
