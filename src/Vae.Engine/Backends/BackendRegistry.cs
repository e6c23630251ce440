using Vae.Engine.Backends.Cpu;
using Vae.Engine.Backends.Ilgpu;

namespace Vae.Engine.Backends;

/// <summary>
/// The backends this build knows, by name, each started the first time it is asked for. They come
/// from the engine's <see cref="IBackendProvider"/>s, found by reflection: today the CPU backend (and
/// its composed-ops twin, the oracle of the fused kernels), ILGPU's CPU accelerator, and CUDA when a
/// device answers. The shared op tests run on every one that starts, so a new device joins the list
/// and gets the tests for free. One that cannot start here is listed in <see cref="Unavailable"/>
/// with the reason.
/// </summary>
public static class BackendRegistry
{
    /// <summary>Picks CUDA when a device answers, else the CPU.</summary>
    public const string Auto = "auto";

    private static readonly (string Name, Lazy<(IBackend? Backend, string? WhyNot)> Start)[] Known =
    [
        .. typeof(BackendRegistry).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBackendProvider).IsAssignableFrom(t))
            .Select(t => (IBackendProvider)Activator.CreateInstance(t, nonPublic: true)!)
            .OrderBy(p => p.Order)
            .SelectMany(p => p.Candidates)
            .Select(c => (c.Name, new Lazy<(IBackend?, string?)>(c.Start))),
    ];

    /// <summary>The names of every backend this build knows, whether or not it runs here.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Known.Select(k => k.Name)];

    /// <summary>Every backend that can run here (starting each one).</summary>
    public static IReadOnlyList<IBackend> Available => [.. Known.Select(k => k.Start.Value.Backend).OfType<IBackend>()];

    /// <summary>Backends this build knows that cannot run here, each with the reason (starting each one).</summary>
    public static IReadOnlyDictionary<string, string> Unavailable
        => Known.Where(k => k.Start.Value.Backend is null).ToDictionary(k => k.Name, k => k.Start.Value.WhyNot ?? "it could not be started", StringComparer.OrdinalIgnoreCase);

    /// <summary>The backend called <paramref name="name"/> (or <see cref="Auto"/>); the message says why not and lists the others.</summary>
    public static IBackend Find(string name)
    {
        if (TryFind(name) is { } backend) return backend;
        string why = Known.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)) is { Name: not null } known
            ? $" '{name}' cannot run here: {known.Start.Value.WhyNot}."
            : "";
        throw new ArgumentException($"There is no backend '{name}' here; available: {string.Join(", ", Available.Select(b => b.Name))}.{why}");
    }

    /// <summary>The backend called <paramref name="name"/>, started if need be; null when it is unknown or cannot run here.</summary>
    public static IBackend? TryFind(string name)
    {
        if (string.Equals(name, Auto, StringComparison.OrdinalIgnoreCase)) return TryFind(IlgpuBackend.CudaName) ?? CpuBackend.Instance;
        var known = Known.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));
        return known.Name is null ? null : known.Start.Value.Backend;
    }

    /// <summary>The backend named by the environment variable <c>VAE_BACKEND</c> (the names of Engine:Backend), <see cref="Auto"/> when unset.</summary>
    public static IBackend FromEnvironment()
        => Find(Environment.GetEnvironmentVariable("VAE_BACKEND") is { Length: > 0 } name ? name : Auto);

    /// <summary>A backend in words for a benchmark's "# engine" line: its name, then what it runs on.</summary>
    public static string Describe(IBackend backend) => backend switch
    {
        IlgpuBackend ilgpu => $"{backend.Name} device \"{ilgpu.Device}\" gemm {GemmOf(backend)}",
        _ when GemmOf(backend) is { } gemm => $"{backend.Name} gemm {gemm}",
        _ => backend.Name,
    };

    /// <summary>Which matrix products a backend runs: openblas or managed on the host, cublas or tiled on ILGPU; null for others.</summary>
    public static string? GemmOf(IBackend backend) => backend switch
    {
        CpuBackend cpu => cpu.GemmPathInUse == GemmPath.OpenBlas ? "openblas" : "managed",
        IlgpuBackend ilgpu => ilgpu.GemmPath,
        _ => null,
    };

    /// <summary>The hardware a backend runs on, in words: the card's name, or "host CPU".</summary>
    public static string DeviceOf(IBackend backend) => backend is IlgpuBackend ilgpu ? ilgpu.Device : "host CPU";
}
