using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Host memory on the pinned object heap, so kernels and native BLAS take a stable pointer with
/// no fixed statements. The usable region starts 64-byte aligned: full cache lines for SIMD, and
/// the same alignment on every run, which keeps vectorised sums reproducible.
/// </summary>
internal sealed unsafe class CpuStorage : Storage
{
    private const int AlignFloats = 16;
    private readonly float[] _array;
    private readonly int _start;

    public CpuStorage(int length, CpuBackend backend)
    {
        Length = length;
        Backend = backend;
        _array = GC.AllocateUninitializedArray<float>(length + AlignFloats, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _start = (int)(((64 - (address & 63)) & 63) / sizeof(float));
        Pointer = (float*)address + _start;
    }

    public override int Length { get; }
    public override IBackend Backend { get; }
    public float* Pointer { get; }
    public Span<float> Span => _array.AsSpan(_start, Length);
}
