using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Backends;

/// <summary>
/// The backends this build can run on, by name. The shared op tests run on every one of them,
/// so a new device joins the list and gets the tests for free.
/// </summary>
public static class BackendRegistry
{
    private static readonly List<IBackend> Backends = [CpuBackend.Instance, CpuBackend.Composed];

    /// <summary>Every backend that can run here now.</summary>
    public static IReadOnlyList<IBackend> Available => Backends;

    /// <summary>The backend called <paramref name="name"/>; the message lists the others when there is none.</summary>
    public static IBackend Find(string name)
        => Backends.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new ArgumentException($"There is no backend '{name}' here; available: {string.Join(", ", Backends.Select(b => b.Name))}.");
}
