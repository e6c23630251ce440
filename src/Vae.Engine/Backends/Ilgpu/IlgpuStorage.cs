using ILGPU;
using ILGPU.Runtime;

namespace Vae.Engine.Backends.Ilgpu;

/// <summary>Device memory of an <see cref="IlgpuBackend"/>: a pooled buffer, possibly longer than asked for.</summary>
internal sealed class IlgpuStorage(int length, MemoryBuffer1D<float, Stride1D.Dense> buffer, IlgpuBackend backend) : Storage
{
    public override int Length => length;
    public override IBackend Backend => backend;
    public MemoryBuffer1D<float, Stride1D.Dense> Buffer => buffer;
}
