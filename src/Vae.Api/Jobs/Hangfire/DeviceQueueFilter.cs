using Hangfire.Common;
using Hangfire.States;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// Keeps a training job on its device's queue whenever Hangfire queues it again: a retry or a delayed
/// hand-back passes through the scheduled state, which would otherwise enqueue it on Hangfire's
/// "default" queue, which no node serves. It runs after the retry filter (order 20), which may
/// replace a failure by an enqueued state.
/// </summary>
public sealed class DeviceQueueFilter : JobFilterAttribute, IElectStateFilter
{
    public DeviceQueueFilter() => Order = 100;

    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is not EnqueuedState enqueued) return;
        if (context.BackgroundJob.Job is not { Type: var type, Args: [string jobId, ..] } || type != typeof(HangfireTrainingJob)) return;
        if (HangfireJobScheduler.BackgroundJobOf(context.Connection, jobId) is { } known) enqueued.Queue = known.Queue;
    }
}
