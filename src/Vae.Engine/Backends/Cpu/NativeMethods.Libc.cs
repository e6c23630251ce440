using System.Runtime.InteropServices;

namespace Vae.Engine.Backends.Cpu;

internal static unsafe partial class NativeMethods
{
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE

    private static readonly delegate* unmanaged<void*, nuint, int, int> Madvise = (delegate* unmanaged<void*, nuint, int, int>)BindLibc("madvise");

    /// <summary>
    /// Asks Linux to back a range with transparent huge pages (2 MB), where the system leaves that
    /// to each program; false where it cannot be asked. Large tensors then need one TLB entry
    /// per 2 MB instead of per 4 KB, which matters for kernels that write far-apart rows (im2col).
    /// </summary>
    public static bool TryAdviseHugePages(void* start, nuint length)
        => Madvise is not null && Madvise(start, length, MadviseHugePage) == 0;

    /// <summary>The address of a libc function, or zero where there is none.</summary>
    private static nint BindLibc(string name)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        // The names are listed here, not shared, because static fields of partial files initialise in no set order.
        foreach (string library in (string[])["libc.so.6", "libc.so", "libc"])
            if (NativeLibrary.TryLoad(library, out nint handle) && NativeLibrary.TryGetExport(handle, name, out nint export))
                return export;
        return 0;
    }
}
