using Vae.Engine.Backends.Cpu;
using Vae.Engine.Backends.Ilgpu;

namespace Vae.Engine.Backends;

/// <summary>
/// The backends that can run here, by name, found when first asked: the CPU backend (and its
/// composed-ops twin, the oracle of the fused kernels), ILGPU's CPU accelerator, and CUDA when a
/// device answers. The shared op tests run on every one of them, so a new device joins the list
/// and gets the tests for free. A backend that cannot start is listed in <see cref="Unavailable"/>
/// with the reason.
/// </summary>
public static class BackendRegistry
{
    private static readonly Lazy<(IReadOnlyList<IBackend> Found, IReadOnlyDictionary<string, string> Missing)> Discovery = new(Discover);

    /// <summary>Every backend that can run here now.</summary>
    public static IReadOnlyList<IBackend> Available => Discovery.Value.Found;

    /// <summary>Backends this build knows that cannot run here, each with the reason.</summary>
    public static IReadOnlyDictionary<string, string> Unavailable => Discovery.Value.Missing;

    /// <summary>The backend called <paramref name="name"/>; the message lists the others when there is none.</summary>
    public static IBackend Find(string name)
        => TryFind(name) ?? throw new ArgumentException(
            $"There is no backend '{name}' here; available: {string.Join(", ", Available.Select(b => b.Name))}."
            + (Unavailable.TryGetValue(name.ToLowerInvariant(), out var why) ? $" '{name}' cannot run here: {why}." : ""));

    public static IBackend? TryFind(string name)
        => Available.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase));

    private static (IReadOnlyList<IBackend>, IReadOnlyDictionary<string, string>) Discover()
    {
        var found = new List<IBackend> { CpuBackend.Instance, CpuBackend.Composed };
        var missing = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        try
        {
            found.Add(IlgpuBackend.CreateCpu());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            missing[IlgpuBackend.CpuName] = $"ILGPU's CPU accelerator could not be started: {e.Message}";
        }
        if (IlgpuBackend.TryCreateCuda(out string? whyNot) is { } cuda) found.Add(cuda);
        else missing[IlgpuBackend.CudaName] = whyNot!;
        return (found, missing);
    }
}
