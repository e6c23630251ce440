using System.Runtime.InteropServices;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The native entry points the CPU backend uses. OpenBLAS is bound at run time through
/// <see cref="NativeLibrary"/> (it is optional), and so is libc's setenv, so no marshalling
/// stubs are involved.
/// </summary>
internal static unsafe partial class NativeMethods
{
    public const int CblasRowMajor = 101;
    public const int CblasNoTrans = 111;
    public const int CblasTrans = 112;

    /// <summary>cblas_sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); 32-bit blasint.</summary>
    public static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> CblasSgemm;

    /// <summary>openblas_set_num_threads(n), or null when the library lacks it.</summary>
    public static delegate* unmanaged<int, void> OpenBlasSetNumThreads;

    // Environment.SetEnvironmentVariable only changes .NET's own copy of the environment on
    // Unix, which a native library never sees; the C runtime's setenv changes the real one.
    // Bound by hand because "libc" alone can resolve to a linker script on Linux.
    private static readonly string[] LibcNames = ["libc.so.6", "libc.so", "libc"];

    /// <summary>Sets a variable in the C runtime's environment; false where that is not possible.</summary>
    public static bool TrySetNativeEnvironment(string name, string value, bool overwrite)
    {
        if (OperatingSystem.IsWindows()) return false;
        delegate* unmanaged<byte*, byte*, int, int> setenv = null;
        foreach (string library in LibcNames)
        {
            if (NativeLibrary.TryLoad(library, out nint handle) && NativeLibrary.TryGetExport(handle, "setenv", out nint export))
            {
                setenv = (delegate* unmanaged<byte*, byte*, int, int>)export;
                break;
            }
        }
        if (setenv is null) return false;
        fixed (byte* n = ToCString(name))
        fixed (byte* v = ToCString(value))
        {
            return setenv(n, v, overwrite ? 1 : 0) == 0;
        }
    }

    private static byte[] ToCString(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
