using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Optional OpenBLAS (Debian's libopenblas0-pthread) for GEMM. Loaded on first use; when it is
/// missing, or VAE_OPENBLAS=0, <see cref="IsAvailable"/> is false and the managed GEMM is used.
/// </summary>
/// <remarks>
/// The library is kept single-threaded (OPENBLAS_NUM_THREADS=1): threads are a budget of the
/// caller, so <see cref="Gemm"/> splits C into blocks itself and runs one single-threaded
/// cblas_sgemm per block. On CPUs with AVX-512, OPENBLAS_CORETYPE is set to SkylakeX (unless
/// VAE_OPENBLAS_CORETYPE names another): OpenBLAS 0.3.21 can take AMD cores with AVX-512 for AVX2-only
/// ones, and its AVX2 (Haswell) kernels run at about 60% of the SkylakeX ones on Zen 4/5. Both
/// variables must be in the C environment before the library initialises, hence libc setenv.
/// </remarks>
internal static unsafe class OpenBlas
{
    private static readonly string[] Candidates =
    [
        "libopenblas.so.0",
        "libopenblas.so",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    ];

    private static readonly Lazy<bool> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public static bool IsAvailable => Loaded.Value;

    /// <summary>Which file was loaded, for diagnostics; null when none.</summary>
    public static string? LibraryName { get; private set; }

    /// <summary>The kernel family OpenBLAS chose (e.g. "SkylakeX", "Haswell"), for diagnostics; null when unknown.</summary>
    public static string? CoreName { get; private set; }

    public static void ThrowIfUnavailable()
    {
        if (!IsAvailable)
        {
            throw new InvalidOperationException(
                "The OpenBLAS GEMM path was requested but OpenBLAS is not available: libopenblas.so.0 could not be loaded " +
                "(install libopenblas0-pthread) or VAE_OPENBLAS=0 disables it. Use GemmPath.Auto or GemmPath.Managed instead.");
        }
    }

    /// <summary>One single-threaded cblas_sgemm, row-major; the caller has checked <see cref="IsAvailable"/>.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        ThrowIfUnavailable();
        NativeMethods.CblasSgemm(NativeMethods.CblasRowMajor,
            transA ? NativeMethods.CblasTrans : NativeMethods.CblasNoTrans,
            transB ? NativeMethods.CblasTrans : NativeMethods.CblasNoTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static bool Load()
    {
        if (Environment.GetEnvironmentVariable("VAE_OPENBLAS") is "0" or "false" or "off") return false;
        if (!OperatingSystem.IsLinux()) return false;

        NativeMethods.TrySetNativeEnvironment("OPENBLAS_NUM_THREADS", "1", overwrite: true);
        // VAE_OPENBLAS_CORETYPE names a kernel family on purpose. Otherwise AVX-512 CPUs get SkylakeX even
        // over an inherited OPENBLAS_CORETYPE: images that export "Haswell" for portability halve GEMM speed.
        string? wanted = Environment.GetEnvironmentVariable("VAE_OPENBLAS_CORETYPE");
        if (string.IsNullOrEmpty(wanted) && Avx512F.IsSupported) wanted = "SkylakeX";
        if (!string.IsNullOrEmpty(wanted))
            NativeMethods.TrySetNativeEnvironment("OPENBLAS_CORETYPE", wanted, overwrite: true);

        foreach (string candidate in Candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out nint handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm))
            {
                NativeLibrary.Free(handle);
                continue;
            }
            NativeMethods.CblasSgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads))
            {
                NativeMethods.OpenBlasSetNumThreads = (delegate* unmanaged<int, void>)setThreads;
                NativeMethods.OpenBlasSetNumThreads(1);
            }
            if (NativeLibrary.TryGetExport(handle, "openblas_get_corename", out nint coreName))
            {
                CoreName = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)coreName)());
            }
            LibraryName = candidate;
            return true;
        }
        return false;
    }
}
