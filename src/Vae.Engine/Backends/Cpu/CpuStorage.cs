using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Host memory at a stable address, so kernels and native BLAS take a pointer with no fixed
/// statements. Small storages are arrays on the pinned object heap; large ones are native memory
/// aligned to 2 MB and offered to the kernel for transparent huge pages, freed when the storage
/// is collected. The usable region always starts 64-byte aligned: full cache lines for SIMD, and
/// the same alignment on every run, which keeps vectorised sums reproducible.
/// </summary>
internal sealed unsafe class CpuStorage : Storage
{
    private const int AlignFloats = 16;
    private const int HugePage = 2 * 1024 * 1024;
    /// <summary>From this many floats (4 MB) on, memory comes from the native heap in huge pages.</summary>
    internal const int NativeThreshold = 1 << 20;

    private readonly float[]? _array;
    private void* _native;

    public CpuStorage(int length, CpuBackend backend)
    {
        Length = length;
        Backend = backend;
        if (length >= NativeThreshold)
        {
            nuint bytes = ((nuint)length * sizeof(float) + HugePage - 1) / HugePage * HugePage;
            _native = NativeMemory.AlignedAlloc(bytes, HugePage);
            NativeMethods.TryAdviseHugePages(_native, bytes);
            GC.AddMemoryPressure((long)bytes);
            Pointer = (float*)_native;
            return;
        }
        _array = GC.AllocateUninitializedArray<float>(length + AlignFloats, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        Pointer = (float*)address + (int)(((64 - (address & 63)) & 63) / sizeof(float));
        GC.SuppressFinalize(this);
    }

    ~CpuStorage() => Free();

    /// <summary>
    /// Gives native memory back to the system now. Called once nothing refers to the storage and
    /// the pool does not keep it; the finalizer is only the fallback for storages never released.
    /// </summary>
    public void Free()
    {
        if (_native is null) return;
        NativeMemory.AlignedFree(_native);
        _native = null;
        GC.RemoveMemoryPressure(((long)Length * sizeof(float) + HugePage - 1) / HugePage * HugePage);
        GC.SuppressFinalize(this);
    }

    public override int Length { get; }
    public override IBackend Backend { get; }
    public float* Pointer { get; }
}
