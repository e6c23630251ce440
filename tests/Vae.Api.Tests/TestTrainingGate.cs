using Vae.Api.Jobs;

namespace Vae.Api.Tests;

/// <summary>
/// The training gate of a test host: a test declares a hold before the job gets there, waits until
/// the job reaches it, acts while the job is held at that exact point, then releases it. Every point
/// passed is counted, so a test can show that nothing happened without waiting to see.
/// Holds may be shared by several hosts (the nodes of a cluster): the first run to reach a matching
/// point takes the hold.
/// </summary>
public sealed class TestTrainingGate : ITrainingGate
{
    /// <summary>How long a test waits for a job to reach a point before it fails: a bound on a broken test, not a timing.</summary>
    public static readonly TimeSpan ReachTimeout = TimeSpan.FromMinutes(3);

    private readonly List<GateHold> _holds = [];
    private readonly List<GateHold> _all = [];
    private readonly List<TrainingPoint> _passed = [];

    /// <summary>Holds the first run that reaches a point matching <paramref name="match"/> until <see cref="GateHold.Release"/> (or the run is stopped).</summary>
    public GateHold Hold(Func<TrainingPoint, bool> match, string what) => Add(match, what, block: true);

    /// <summary>Completes when a run passes a point matching <paramref name="match"/>, without stopping it there.</summary>
    public GateHold Watch(Func<TrainingPoint, bool> match, string what) => Add(match, what, block: false);

    /// <summary>Holds the job (or, with no id, the first job) before batch <paramref name="batch"/> of epoch <paramref name="epoch"/>.</summary>
    public GateHold HoldAtBatch(int epoch, int batch, string? jobId = null)
        => Hold(p => p.Step == TrainingStep.Batch && p.Epoch == epoch && p.Batch == batch && (jobId is null || p.JobId == jobId),
            $"{jobId ?? "a job"} at epoch {epoch}, batch {batch}");

    /// <summary>Holds the job (or the first job) as it starts, its record already saying running.</summary>
    public GateHold HoldAtStart(string? jobId = null)
        => Hold(p => p.Step == TrainingStep.Started && (jobId is null || p.JobId == jobId), $"{jobId ?? "a job"} at its start");

    /// <summary>Completes when the job's run has ended in its process, however it ended.</summary>
    public GateHold WatchStopped(string jobId)
        => Watch(p => p.Step == TrainingStep.Stopped && p.JobId == jobId, $"{jobId} stopped");

    /// <summary>Every point passed so far, in order.</summary>
    public IReadOnlyList<TrainingPoint> Passed
    {
        get { lock (_passed) return [.. _passed]; }
    }

    /// <summary>Points of one job passed so far (of one step, when given).</summary>
    public int PassedCount(string jobId, TrainingStep? step = null)
        => Passed.Count(p => p.JobId == jobId && (step is null || p.Step == step));

    public async ValueTask PassAsync(TrainingPoint point, CancellationToken ct)
    {
        lock (_passed) _passed.Add(point);
        GateHold? taken = null;
        lock (_holds)
        {
            foreach (var hold in _holds)
            {
                if (!hold.Matches(point)) continue;
                _holds.Remove(hold);
                taken = hold;
                break;
            }
        }
        if (taken is null) return;
        taken.Reach(point);
        if (taken.Blocks && point.Step != TrainingStep.Stopped) await taken.Released.WaitAsync(ct);
    }

    /// <summary>Lets every held run go (a test's end, so no run stays blocked behind it).</summary>
    public void ReleaseAll()
    {
        lock (_holds) foreach (var hold in _all) hold.Release();
    }

    private GateHold Add(Func<TrainingPoint, bool> match, string what, bool block)
    {
        var hold = new GateHold(match, what, block);
        lock (_holds)
        {
            _holds.Add(hold);
            _all.Add(hold);
        }
        return hold;
    }
}

/// <summary>One hold or watch of a <see cref="TestTrainingGate"/>.</summary>
public sealed class GateHold(Func<TrainingPoint, bool> match, string what, bool blocks)
{
    private readonly TaskCompletionSource<TrainingPoint> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Blocks => blocks;
    internal Task Released => _released.Task;
    public bool IsReached => _reached.Task.IsCompleted;

    internal bool Matches(TrainingPoint point) => match(point);
    internal void Reach(TrainingPoint point) => _reached.TrySetResult(point);

    /// <summary>Waits until a run is at the point (held there when the hold blocks); fails the test if none gets there.</summary>
    public async Task<TrainingPoint> ReachedAsync()
    {
        try
        {
            return await _reached.Task.WaitAsync(TestTrainingGate.ReachTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"No job reached {what} within {TestTrainingGate.ReachTimeout.TotalMinutes} minutes.");
            throw;
        }
    }

    /// <summary>Lets the held run go on.</summary>
    public void Release() => _released.TrySetResult();
}
