using Vae.Engine.Backends;

namespace Vae.Api.Jobs;

/// <summary>
/// The device a training request asks for ("device": "gpu" or "cpu"; left out, any) and the backend
/// a node trains such a job on. A node that cannot give a job what it asks for does not train it: the
/// job goes back to the queue for a node that can.
/// </summary>
public static class TrainingDevice
{
    public const string Gpu = "gpu";
    public const string Cpu = "cpu";

    /// <summary>The values a request's "device" takes, as the validation names them.</summary>
    public static readonly IReadOnlyList<string> Accepted = [Gpu, Cpu];

    /// <summary>The accepted value <paramref name="device"/> means (case and spaces aside); null when it is none of them.</summary>
    public static string? Normalize(string device)
    {
        string value = device.Trim().ToLowerInvariant();
        return Accepted.Contains(value) ? value : null;
    }

    /// <summary>
    /// The backend this node trains a job asking for <paramref name="device"/> on: the CPU backend for
    /// "cpu" (even where the node's own is a GPU), the node's backend for "gpu" when it runs on a
    /// graphics card, and the node's backend when the job asks for nothing. Null: this node cannot
    /// train the job.
    /// </summary>
    public static IBackend? BackendFor(string? device, IBackend node) => device switch
    {
        null => node,
        Cpu => BackendRegistry.Find(Cpu),
        Gpu => node.IsGpu ? node : null,
        _ => null, // a value this version does not know (stored by a newer one): left to a node that does
    };

    /// <summary>What the record of a job this node hands back says, so whoever looks knows why it waits.</summary>
    public static string WaitingReason(string device, string nodeId, IBackend node)
        => $"asks for a {(device == Gpu ? "GPU" : device)}; no node with one has taken it yet (node {nodeId} trains on {node.Name}).";
}
