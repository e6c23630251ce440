using Vae.Engine.Diagnostics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>Which implementation runs a CPU matrix product.</summary>
public enum GemmPath
{
    /// <summary>
    /// The managed kernels: on the Zen 4 machine the benchmarks run on they are 8-20% faster than
    /// OpenBLAS 0.3.21's SkylakeX kernels at every shape the models multiply (single-threaded,
    /// as in Winograd's batched products and the convolutions' chunks, and split over two threads).
    /// </summary>
    Auto,
    /// <summary>The C# kernels: results bit-identical for any thread count.</summary>
    Managed,
    /// <summary>OpenBLAS; using it where it is not installed throws.</summary>
    OpenBlas,
}

/// <summary>
/// Single-precision GEMM entry point: C (m x n) = alpha * op(A) * op(B) + beta * C, all
/// row-major, with op(A) m x k (A stored k x m when transA) and op(B) k x n (B stored n x k when
/// transB); lda/ldb/ldc are row strides in elements. beta = 0 overwrites C whatever it holds.
/// </summary>
internal static unsafe class Gemm
{
    // Below this many multiply-adds, handing work to another thread costs more than it saves.
    private const long ParallelThreshold = 64 * 1024;

    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C on at most <paramref name="threads"/> threads (the
    /// caller's budget, the calling thread included). The managed path gives bit-identical
    /// results for any thread count; the OpenBLAS path splits C into one block per thread.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads, GemmPath path = GemmPath.Auto)
    {
        long started = StepProfiler.Start();
        SgemmOnce(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, path);
        StepProfiler.End(started, ProfiledPrimitive.Gemm, 2L * m * n * k);
    }

    private static void SgemmOnce(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads, GemmPath path)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if ((long)m * n * k < ParallelThreshold) threads = 1;

        if (Resolve(path) == GemmPath.Managed)
        {
            ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
            return;
        }
        OpenBlas.ThrowIfUnavailable();
        if (k == 0)
        {
            // OpenBLAS rejects lda = 0 here; the managed path already handles C = beta * C.
            ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 1);
            return;
        }
        OpenBlasInBlocks(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    /// <summary>
    /// <paramref name="batch"/> independent products, C_p = alpha op(A_p) op(B_p) + beta C_p with
    /// A_p at a + p * strideA and so on. With at least as many products as threads, each runs on
    /// one thread (many mid-sized GEMMs use the cores better than one at a time); a C shared by
    /// every product (strideC 0) is accumulated in order.
    /// </summary>
    public static void Batched(bool transA, bool transB, int m, int n, int k, float* a, int lda, long strideA, float* b, int ldb, long strideB,
        float beta, float* c, int ldc, long strideC, int batch, int threads, float alpha = 1f, GemmPath path = GemmPath.Auto)
    {
        long started = StepProfiler.Start();
        var state = new BatchState
        {
            Path = path, TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            A = a, Lda = lda, StrideA = strideA, B = b, Ldb = ldb, StrideB = strideB, C = c, Ldc = ldc, StrideC = strideC,
        };
        if (batch >= threads && strideC != 0 && threads > 1)
        {
            state.Threads = 1;
            CpuParallel.For(batch, threads, state, &BatchState.Run);
        }
        else
        {
            state.Threads = threads;
            for (int p = 0; p < batch; p++) BatchState.Run(p, ref state);
        }
        StepProfiler.End(started, ProfiledPrimitive.Gemm, 2L * m * n * k * batch);
    }

    private struct BatchState
    {
        public bool TransA, TransB;
        public int M, N, K, Lda, Ldb, Ldc, Threads;
        public GemmPath Path;
        public float Alpha, Beta;
        public float* A, B, C;
        public long StrideA, StrideB, StrideC;

        public static void Run(int p, ref BatchState s)
            => Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, s.Alpha, s.A + p * s.StrideA, s.Lda, s.B + p * s.StrideB, s.Ldb, s.Beta, s.C + p * s.StrideC, s.Ldc, s.Threads, s.Path);
    }

    /// <summary>The implementation a call with <paramref name="path"/> would use.</summary>
    public static GemmPath Resolve(GemmPath path)
    {
        return path == GemmPath.Auto ? GemmPath.Managed : path;
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, transA ? m : k);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, transB ? k : n);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, n);
    }

    private struct Blocks
    {
        public bool TransA, TransB, SplitRows;
        public int M, N, K, Lda, Ldb, Ldc, Count;
        public float Alpha, Beta;
        public float* A, B, C;
    }

    // Each block of C is an independent single-threaded cblas_sgemm: a row block needs the
    // matching rows of op(A), a column block the matching columns of op(B).
    private static void OpenBlasInBlocks(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        var blocks = new Blocks
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
            Alpha = alpha, Beta = beta, A = a, B = b, C = c, SplitRows = m >= n,
        };
        // Block edges on multiples of 16 keep OpenBLAS's own tiles whole.
        int extent = blocks.SplitRows ? m : n;
        blocks.Count = Math.Max(1, Math.Min(threads, (extent + 15) / 16));
        if (blocks.Count == 1)
        {
            OpenBlas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        CpuParallel.For(blocks.Count, blocks.Count, blocks, &RunBlock);
    }

    private static void RunBlock(int index, ref Blocks s)
    {
        int extent = s.SplitRows ? s.M : s.N;
        int units = (extent + 15) / 16;
        int start = Math.Min(extent, units * index / s.Count * 16);
        int end = Math.Min(extent, units * (index + 1) / s.Count * 16);
        int size = end - start;
        if (size <= 0) return;
        if (s.SplitRows)
        {
            float* a = s.TransA ? s.A + start : s.A + (long)start * s.Lda;
            OpenBlas.Sgemm(s.TransA, s.TransB, size, s.N, s.K, s.Alpha, a, s.Lda, s.B, s.Ldb, s.Beta, s.C + (long)start * s.Ldc, s.Ldc);
        }
        else
        {
            float* b = s.TransB ? s.B + (long)start * s.Ldb : s.B + start;
            OpenBlas.Sgemm(s.TransA, s.TransB, s.M, size, s.K, s.Alpha, s.A, s.Lda, b, s.Ldb, s.Beta, s.C + start, s.Ldc);
        }
    }

    /// <summary>The path VAE_GEMM=managed|openblas asks for; <see cref="GemmPath.Auto"/> when it is unset.</summary>
    public static GemmPath PathFromEnvironment()
        => Environment.GetEnvironmentVariable("VAE_GEMM")?.Trim().ToLowerInvariant() switch
        {
            "managed" => GemmPath.Managed,
            "openblas" => GemmPath.OpenBlas,
            _ => GemmPath.Auto,
        };
}
