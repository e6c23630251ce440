namespace Vae.Engine.Backends.Ilgpu;

/// <summary>ILGPU's accelerators: <c>ilgpu-cpu</c>, which runs anywhere, and <c>cuda</c> where an NVIDIA device answers.</summary>
internal sealed class IlgpuBackendProvider : IBackendProvider
{
    public int Order => 1;

    public IEnumerable<BackendCandidate> Candidates =>
    [
        new(IlgpuBackend.CpuName, StartCpu),
        new(IlgpuBackend.CudaName, () => (IlgpuBackend.TryCreateCuda(out string? why), why)),
    ];

    private static (IBackend?, string?) StartCpu()
    {
        try
        {
            return (IlgpuBackend.CreateCpu(), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, $"ILGPU's CPU accelerator could not be started: {e.Message}");
        }
    }
}
