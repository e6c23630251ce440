namespace Vae.Engine.Backends.Cpu;

/// <summary>The host backends: <c>cpu</c>, and <c>cpu-composed</c>, its twin without fused kernels (their test oracle).</summary>
internal sealed class CpuBackendProvider : IBackendProvider
{
    public int Order => 0;

    public IEnumerable<BackendCandidate> Candidates =>
    [
        new(CpuBackend.Instance.Name, () => (CpuBackend.Instance, null)),
        new(CpuBackend.Composed.Name, () => (CpuBackend.Composed, null)),
    ];
}
