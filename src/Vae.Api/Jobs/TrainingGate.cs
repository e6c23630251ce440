namespace Vae.Api.Jobs;

/// <summary>The points of a job's run at which it asks the <see cref="ITrainingGate"/> whether to go on.</summary>
public enum TrainingStep
{
    /// <summary>The record says running; the dataset and the model are about to be opened. Epoch: the next one to train.</summary>
    Started,
    /// <summary>Batch <see cref="TrainingPoint.Batch"/> (1-based) of epoch <see cref="TrainingPoint.Epoch"/> is about to run.</summary>
    Batch,
    /// <summary>Epoch <see cref="TrainingPoint.Epoch"/> is checkpointed and in the record.</summary>
    EpochEnded,
    /// <summary>Training is over and the final evaluation is about to run.</summary>
    Evaluating,
    /// <summary>Training and evaluation are over; the model is about to be published.</summary>
    Publishing,
    /// <summary>The run has ended in this process, however it ended: nothing more comes from it. Not held.</summary>
    Stopped,
}

/// <summary>Where one job's run is: which job, on which node, at which step.</summary>
public readonly record struct TrainingPoint(string JobId, string NodeId, TrainingStep Step, int Epoch = 0, int Batch = 0)
{
    public override string ToString() => Step switch
    {
        TrainingStep.Batch => $"job {JobId} on {NodeId}: epoch {Epoch}, batch {Batch}",
        TrainingStep.EpochEnded => $"job {JobId} on {NodeId}: end of epoch {Epoch}",
        _ => $"job {JobId} on {NodeId}: {Step} (epoch {Epoch})",
    };
}

/// <summary>
/// Asked by every training run at each <see cref="TrainingStep"/>; the run goes on when the returned
/// task completes. The service's gate is always open. Tests replace it to hold a job at a known
/// point, act (cancel, delete, kill the node, stop the database) and then let it go, so that no test
/// depends on how long an epoch takes on the machine that runs it.
/// </summary>
public interface ITrainingGate
{
    /// <summary>Completes when the run may go on; cancelled with <paramref name="ct"/> (the run's own stop).</summary>
    ValueTask PassAsync(TrainingPoint point, CancellationToken ct);
}

/// <summary>The gate of a service in production: every run goes straight on.</summary>
public sealed class OpenTrainingGate : ITrainingGate
{
    public static readonly OpenTrainingGate Instance = new();

    public ValueTask PassAsync(TrainingPoint point, CancellationToken ct) => ValueTask.CompletedTask;
}

internal static class TrainingGateExtensions
{
    /// <summary>For the training thread, which may block: no allocation when the gate is open.</summary>
    public static void Pass(this ITrainingGate gate, TrainingPoint point, CancellationToken ct)
    {
        var pass = gate.PassAsync(point, ct);
        if (pass.IsCompletedSuccessfully) return;
        pass.AsTask().GetAwaiter().GetResult();
    }
}
