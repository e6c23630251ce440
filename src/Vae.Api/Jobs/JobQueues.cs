using Vae.Engine.Backends;

namespace Vae.Api.Jobs;

/// <summary>
/// The scheduler's queues per device: a job that asks for a GPU waits in <c>gpu</c>, every other job in
/// <c>cpu</c>. A node serves the queues its hardware can (Jobs:Queues, by default <c>gpu</c> and
/// <c>cpu</c> on a node with a GPU, <c>cpu</c> elsewhere), so a GPU job is only ever taken by a node
/// with a GPU, and until one serves the queue it waits there.
/// </summary>
public static class JobQueues
{
    public const string Cpu = "cpu";
    public const string Gpu = "gpu";

    public static readonly IReadOnlyList<string> Known = [Gpu, Cpu];

    /// <summary>The queue of a job asking for <paramref name="device"/> (null: any).</summary>
    public static string For(string? device) => device == TrainingDevice.Gpu ? Gpu : Cpu;

    /// <summary>What the record of a job on a queue no running node serves says.</summary>
    public static string WaitingReason(string queue, IReadOnlySet<string> served)
        => $"asks for a {(queue == Gpu ? "GPU" : queue)}; it waits in the {queue} queue, which no running node serves yet (they serve: {string.Join(", ", served.Order())}).";

    /// <summary>What a node on <paramref name="backend"/> serves unless configured: the GPU queue first where it has one.</summary>
    public static IReadOnlyList<string> DefaultFor(IBackend backend) => backend.IsGpu ? [Gpu, Cpu] : [Cpu];
}
