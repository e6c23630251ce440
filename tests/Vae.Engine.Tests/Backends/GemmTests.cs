using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Tests.Backends;

public sealed unsafe class GemmTests
{
    // Extra elements at the end of every row, so wrong strides and writes outside C show up.
    private const int Pad = 3;
    private const float Sentinel = -12345.5f;

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 3, 5, 7 }, { 17, 33, 129 }, { 8, 48, 16 }, { 9, 49, 17 }, { 7, 15, 3 },
        { 128, 400, 784 }, { 128, 20, 400 }, { 400, 20, 128 }, { 20, 400, 128 }, { 128, 784, 40 },
        { 33, 70, 1100 },   // k split into several chunks
        { 1100, 24, 450 },  // A packed when transposed (long stride), m split into chunks
        { 16, 2400, 500 },  // n split into several chunks
        { 1, 784, 400 }, { 5, 3136, 13 }, { 8, 130, 257 }, // a few rows against a transposed B: dot products
        { 2, 200, 64 }, { 4, 72, 9 }, { 6, 1000, 30 },      // and against B in place: row sums, in strips, eights and single columns
    };

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Managed_path_matches_a_double_precision_reference_for_every_transpose(int m, int n, int k)
    {
        foreach (var (transA, transB) in Combos())
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, -1.5f), (-2f, 1f) })
        {
            var p = Problem.Create(transA, transB, m, n, k, seed: m * 31 + n * 7 + k);
            p.Run(alpha, beta, threads: 2, GemmPath.Managed);
            p.AssertMatchesReference(alpha, beta);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void OpenBlas_path_matches_a_double_precision_reference_for_every_transpose(int m, int n, int k)
    {
        RequireOpenBlas();
        foreach (var (transA, transB) in Combos())
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var p = Problem.Create(transA, transB, m, n, k, seed: m * 17 + n * 5 + k);
            p.Run(0.75f, 0.5f, threads, GemmPath.OpenBlas);
            p.AssertMatchesReference(0.75f, 0.5f);
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Managed_results_are_bit_identical_whatever_the_thread_count(bool transA, bool transB)
    {
        foreach (var (m, n, k) in new[] { (128, 400, 784), (400, 784, 128), (128, 20, 400), (17, 33, 129), (33, 70, 1100), (3, 700, 400) })
        {
            var one = Problem.Create(transA, transB, m, n, k, seed: 5);
            one.Run(1f, 1f, threads: 1, GemmPath.Managed);
            foreach (int threads in new[] { 2, 3, 4 })
            {
                var many = Problem.Create(transA, transB, m, n, k, seed: 5);
                many.Run(1f, 1f, threads, GemmPath.Managed);
                Assert.Equal(one.C, many.C);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Transposes))]
    public void Managed_and_OpenBlas_agree_on_the_model_shapes(bool transA, bool transB)
    {
        RequireOpenBlas();
        foreach (var (m, n, k) in new[] { (128, 400, 784), (128, 784, 400), (128, 20, 400), (128, 400, 20), (400, 784, 128), (20, 400, 128) })
        {
            var managed = Problem.Create(transA, transB, m, n, k, seed: 11);
            var blas = Problem.Create(transA, transB, m, n, k, seed: 11);
            managed.Run(1f, 0f, threads: 2, GemmPath.Managed);
            blas.Run(1f, 0f, threads: 2, GemmPath.OpenBlas);
            double scale = managed.C.Max(MathF.Abs);
            for (int i = 0; i < managed.C.Length; i++)
            {
                Assert.True(Math.Abs(managed.C[i] - blas.C[i]) <= 1e-4 * scale,
                    $"{m}x{n}x{k} transA={transA} transB={transB}: element {i} is {managed.C[i]} (managed) vs {blas.C[i]} (OpenBLAS)");
            }
        }
    }

    [SkippableTheory]
    [InlineData(GemmPath.Managed, 1)]
    [InlineData(GemmPath.Managed, 2)]
    [InlineData(GemmPath.OpenBlas, 1)]
    [InlineData(GemmPath.OpenBlas, 2)]
    public void Beta_zero_overwrites_NaN_and_infinity_already_in_C(GemmPath path, int threads)
    {
        if (path == GemmPath.OpenBlas) RequireOpenBlas();
        foreach (var (m, n, k, transB) in new[] { (3, 5, 7, true), (64, 100, 80, true), (9, 49, 17, true), (3, 75, 7, false), (1, 200, 9, false) })
        {
            var p = Problem.Create(false, transB, m, n, k, seed: 3);
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                p.C[i * p.Ldc + j] = (i + j) % 2 == 0 ? float.NaN : float.PositiveInfinity;
            p.Run(1f, 0f, threads, path);
            p.AssertMatchesReference(1f, 0f);
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Skipping_the_zero_steps_of_sparse_operands_gives_the_dense_kernels_bits(bool transA, bool transB)
    {
        // Model shapes, ragged edges in every dimension (the scan's tail included), k in chunks, n in chunks.
        foreach (var (m, n, k) in new[] { (128, 400, 784), (400, 784, 128), (17, 100, 37), (64, 96, 1100), (24, 2400, 500), (9, 49, 17) })
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, -1.5f) })
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var dense = Problem.CreateSparse(transA, transB, m, n, k, seed: m + n + k);
            var listed = dense.Clone();
            using (ZeroSteps(skip: false)) dense.Run(alpha, beta, threads, GemmPath.Managed);
            using (ZeroSteps(skip: true)) listed.Run(alpha, beta, threads, GemmPath.Managed);
            Assert.Equal(dense.C, listed.C);
            if (threads == 2) listed.AssertMatchesReference(alpha, beta);
        }
    }

    [Fact]
    public void Random_shapes_and_patterns_of_zeros_give_the_dense_kernels_bits()
    {
        // Shapes around the panel sizes and the chunk limits (k over 1024, n over a B chunk, a long
        // transposed A that is packed whole), each transpose, 1-3 threads, beta 0 or not.
        var random = new Random(2024);
        for (int trial = 0; trial < 120; trial++)
        {
            bool transA = random.Next(2) == 0, transB = random.Next(2) == 0;
            int m = random.Next(4) == 0 ? random.Next(8, 20) : random.Next(16, 300);
            int n = random.Next(6) == 0 ? random.Next(1200, 2500) : random.Next(1, 200);
            int k = random.Next(8) == 0 ? random.Next(1025, 1300) : random.Next(1, 300);
            if (random.Next(10) == 0 && transA) m = random.Next(1024, 1100);
            float beta = random.Next(2) == 0 ? 0f : 0.75f;
            int threads = random.Next(1, 4);
            var dense = Problem.CreateSparse(transA, transB, m, n, k, seed: trial);
            var listed = dense.Clone();
            using (ZeroSteps(skip: false)) dense.Run(1f, beta, threads, GemmPath.Managed);
            using (ZeroSteps(skip: true)) listed.Run(1f, beta, threads, GemmPath.Managed);
            Assert.True(dense.C.AsSpan().SequenceEqual(listed.C), $"trial {trial}: {m}x{n}x{k} transA={transA} transB={transB} beta={beta} threads={threads}");
        }
    }

    [SkippableFact]
    public void A_step_where_a_panel_of_A_is_zero_is_skipped_so_what_B_holds_there_never_reaches_C()
    {
        SkipUnlessAvx512();
        // 16 rows (two panels) x 96 columns (two panels), k = 64: every row of A is zero at odd steps,
        // and B's row 3 is NaN. A dense product makes every element NaN (0 x NaN); the listed steps never read it.
        var p = Problem.CreateSparse(false, false, 16, 96, 64, seed: 9);
        for (int i = 0; i < 16; i++)
        for (int s = 1; s < 64; s += 2)
            p.A[i * p.Lda + s] = 0f;
        for (int j = 0; j < 96; j++) p.B[3 * p.Ldb + j] = float.NaN;
        var dense = p.Clone();
        using (ZeroSteps(skip: true)) p.Run(1f, 0f, threads: 2, GemmPath.Managed);
        using (ZeroSteps(skip: false)) dense.Run(1f, 0f, threads: 2, GemmPath.Managed);
        Assert.All(dense.C.Take(96), v => Assert.True(float.IsNaN(v)));
        for (int j = 0; j < 96; j++) p.B[3 * p.Ldb + j] = 0f;
        p.AssertMatchesReference(1f, 0f);
    }

    [SkippableFact]
    public void A_step_where_a_panel_of_B_is_zero_is_skipped_so_what_A_holds_there_never_reaches_C()
    {
        SkipUnlessAvx512();
        // dW = dz^T x as a dense layer's weight gradient makes it: A transposed, B (the inputs) in place.
        // B's first 48 columns are zero at every odd step, where A holds infinities.
        var p = Problem.CreateSparse(true, false, 32, 96, 40, seed: 4);
        for (int s = 1; s < 40; s += 2)
        {
            for (int j = 0; j < 48; j++) p.B[s * p.Ldb + j] = 0f;
            for (int i = 0; i < 32; i++) p.A[s * p.Lda + i] = float.PositiveInfinity;
        }
        var dense = p.Clone();
        using (ZeroSteps(skip: true)) p.Run(1f, 0f, threads: 1, GemmPath.Managed);
        using (ZeroSteps(skip: false)) dense.Run(1f, 0f, threads: 1, GemmPath.Managed);
        Assert.True(float.IsNaN(dense.C[0]));
        for (int i = 0; i < 32; i++)
        for (int j = 0; j < 48; j++)
            Assert.True(float.IsFinite(p.C[i * p.Ldc + j]), $"C[{i},{j}] = {p.C[i * p.Ldc + j]} read a step whose B panel was zero");
    }

    [SkippableTheory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(-0.5f)]
    public void The_zero_rows_of_a_transposed_A_are_left_out_and_their_rows_of_C_only_scaled(float beta)
    {
        SkipUnlessAvx512();
        // dW = dz^T x where a third of the units never fired: their rows of dz^T are zero, and B holds
        // a NaN, which a dense product would spread over every row of C.
        var p = Problem.Create(true, false, 48, 100, 130, seed: 6);
        for (int i = 0; i < 48; i += 3)
        for (int s = 0; s < 130; s++)
            p.A[s * p.Lda + i] = 0f;
        p.B[7 * p.Ldb + 5] = float.NaN;
        var dense = p.Clone();
        using (ZeroSteps(skip: true)) p.Run(1f, beta, threads: 2, GemmPath.Managed);
        using (ZeroSteps(skip: false)) dense.Run(1f, beta, threads: 2, GemmPath.Managed);
        Assert.True(float.IsNaN(dense.C[5]));
        for (int i = 0; i < 48; i++)
        for (int j = 0; j < 100; j++)
        {
            float actual = p.C[i * p.Ldc + j];
            if (i % 3 == 0) Assert.Equal(beta * p.C0[i * p.Ldc + j], actual);
            else if (j == 5) Assert.True(float.IsNaN(actual));
            else Assert.Equal(dense.C[i * dense.Ldc + j], actual);
        }
    }

    [Theory]
    [InlineData(128, 784, 400)] // the MLP's output layer: C^T = W x^T
    [InlineData(16, 2400, 500)]
    [InlineData(13, 1001, 70)]   // a ragged panel of x and of W
    [InlineData(40, 1003, 1100)] // k in chunks, later ones adding onto C
    public void A_batch_against_a_much_larger_weight_runs_transposed_with_the_same_bits(int m, int n, int k)
    {
        var p = Problem.Create(false, true, m, n, k, seed: m + n);
        fixed (float* a = p.A) Assert.True(ManagedGemm.Swaps(false, true, m, n, k, a, p.Lda));
        foreach (var (alpha, beta) in new[] { (1f, 0f), (-0.5f, 0.75f) })
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var straight = p.Clone();
            var swapped = p.Clone();
            using (Swapping(false)) straight.Run(alpha, beta, threads, GemmPath.Managed);
            using (Swapping(true)) swapped.Run(alpha, beta, threads, GemmPath.Managed);
            Assert.True(straight.C.AsSpan().SequenceEqual(swapped.C), $"{m}x{n}x{k} alpha={alpha} beta={beta} threads={threads}");
            if (threads == 2) swapped.AssertMatchesReference(alpha, beta);
        }
    }

    [Fact]
    public void A_batch_with_steps_to_skip_or_a_weight_not_much_larger_runs_as_it_stands()
    {
        var digits = Problem.CreateSparse(false, true, 128, 784, 400, seed: 3);
        var narrow = Problem.Create(false, true, 128, 400, 784, seed: 3);
        var shallow = Problem.Create(false, true, 128, 784, 40, seed: 3);
        fixed (float* a = digits.A, b = narrow.A, c = shallow.A)
        {
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.False(ManagedGemm.Swaps(false, true, 128, 784, 400, a, digits.Lda));
            Assert.False(ManagedGemm.Swaps(false, true, 128, 400, 784, b, narrow.Lda));
            Assert.False(ManagedGemm.Swaps(false, true, 128, 784, 40, c, shallow.Lda));
            Assert.False(ManagedGemm.Swaps(true, true, 128, 784, 400, b, narrow.Lda));
        }
    }

    private static void SkipUnlessAvx512()
        => Skip.IfNot(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, "zero steps are listed only by the AVX-512 kernels, which this CPU lacks");

    /// <summary>Sets whether products called from this thread skip zero steps, until disposed.</summary>
    private static Restore ZeroSteps(bool skip)
    {
        bool before = ManagedGemm.SkipZeroSteps;
        ManagedGemm.SkipZeroSteps = skip;
        return new Restore(() => ManagedGemm.SkipZeroSteps = before);
    }

    /// <summary>Sets whether products called from this thread may run transposed, until disposed.</summary>
    private static Restore Swapping(bool swap)
    {
        bool before = ManagedGemm.SwapWideProducts;
        ManagedGemm.SwapWideProducts = swap;
        return new Restore(() => ManagedGemm.SwapWideProducts = before);
    }

    private readonly struct Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    [SkippableTheory]
    [InlineData(GemmPath.Managed)]
    [InlineData(GemmPath.OpenBlas)]
    public void An_empty_inner_dimension_only_scales_C(GemmPath path)
    {
        if (path == GemmPath.OpenBlas) RequireOpenBlas();
        var scaled = Problem.Create(false, false, 4, 6, 0, seed: 1);
        scaled.Run(1f, 2.5f, threads: 2, path);
        scaled.AssertMatchesReference(1f, 2.5f);

        var cleared = Problem.Create(true, true, 4, 6, 0, seed: 2);
        Array.Fill(cleared.C, float.NaN);
        cleared.Run(1f, 0f, threads: 2, path);
        for (int i = 0; i < 4; i++)
            Assert.All(cleared.C.AsSpan(i * cleared.Ldc, 6).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Empty_outputs_are_accepted_and_touch_nothing()
    {
        float[] c = [Sentinel];
        fixed (float* pc = c)
        {
            Gemm.Sgemm(false, false, 0, 5, 3, 1f, null, 3, null, 5, 0f, pc, 5, 2, GemmPath.Managed);
            Gemm.Sgemm(false, false, 5, 0, 3, 1f, null, 3, null, 0, 0f, pc, 0, 2, GemmPath.Managed);
        }
        Assert.Equal(Sentinel, c[0]);
    }

    [Fact]
    public void Strides_smaller_than_the_rows_are_rejected()
    {
        float[] buffer = new float[64];
        fixed (float* p = buffer)
        {
            float* q = p;
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 3, 4, 1f, q, 3, q, 3, 0f, q, 3, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, true, 2, 3, 4, 1f, q, 4, q, 3, 0f, q, 3, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(true, false, 2, 3, 4, 1f, q, 1, q, 3, 0f, q, 3, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 3, 4, 1f, q, 4, q, 3, 0f, q, 2, 1));
        }
    }

    [Fact]
    public void Concurrent_callers_each_get_their_own_correct_result()
    {
        var problems = Enumerable.Range(0, 4).Select(i => Problem.Create(i % 2 == 0, i >= 2, 96 + i, 200 - i, 300, seed: 100 + i)).ToArray();
        var expected = problems.Select(p => p.Clone()).ToArray();
        foreach (var p in expected) p.Run(1f, 0f, threads: 1, GemmPath.Managed);

        Parallel.For(0, 4 * 25, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var p = problems[i % 4].Clone();
            p.Run(1f, 0f, threads: 2, GemmPath.Managed);
            Assert.Equal(expected[i % 4].C, p.C);
        });
    }

    [Fact]
    public void Auto_uses_the_managed_kernels_and_OpenBlas_runs_only_when_named()
    {
        Assert.Equal(GemmPath.Managed, Gemm.Resolve(GemmPath.Auto));
        Assert.Equal(GemmPath.Managed, Gemm.Resolve(GemmPath.Managed));
        Assert.Equal(GemmPath.OpenBlas, Gemm.Resolve(GemmPath.OpenBlas));
    }

    [Fact]
    public void The_gemm_path_is_a_setting_of_each_backend_instance_and_one_does_not_change_another()
    {
        var managed = CpuBackend.WithGemm(GemmPath.Managed);
        Assert.Equal(GemmPath.Managed, managed.GemmPathInUse);
        Assert.Contains("gemm managed", BackendRegistry.Describe(managed));
        Assert.Equal(Gemm.Resolve(Gemm.PathFromEnvironment()), CpuBackend.Instance.GemmPathInUse);

        // The same product on either instance: the managed one really multiplies.
        float[] a = [1, 2, 3, 4, 5, 6], b = [1, 0, 0, 1, 1, 1];
        var product = new float[4];
        var buffers = new[] { a, b, new float[4] }.Select(values =>
        {
            var r = new BufferRef(managed.Allocate(values.Length), 0);
            managed.Upload(values, r);
            return r;
        }).ToArray();
        managed.Gemm(false, false, 2, 2, 3, 1f, buffers[0], 3, buffers[1], 2, 0f, buffers[2], 2);
        managed.Download(buffers[2], product);
        Assert.Equal([4f, 5f, 10f, 11f], product);
    }

    [SkippableFact]
    public void OpenBlas_is_loaded_when_the_library_is_installed()
    {
        // Asked of the system's loader cache, independently of how the engine looks for it.
        string? installed = LoaderCacheEntry("libopenblas.so.0");
        Skip.If(installed is null, "libopenblas.so.0 is not installed on this machine (install libopenblas0-pthread); the engine uses its managed GEMM.");
        Assert.True(OpenBlas.IsAvailable, $"{installed} is installed but the engine did not load it.");
    }

    /// <summary>Skips the calling test, with the reason, where OpenBLAS cannot be loaded.</summary>
    private static void RequireOpenBlas()
        => Skip.IfNot(OpenBlas.IsAvailable, "OpenBLAS (libopenblas.so.0) could not be loaded here; install libopenblas0-pthread to run the OpenBLAS checks.");

    private static string? LoaderCacheEntry(string library)
    {
        try
        {
            using var ldconfig = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/sbin/ldconfig", "-p") { RedirectStandardOutput = true });
            if (ldconfig is null) return null;
            string listing = ldconfig.StandardOutput.ReadToEnd();
            ldconfig.WaitForExit();
            return listing.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(library + " ", StringComparison.Ordinal))?.Split("=>").Last().Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static IEnumerable<(bool, bool)> Combos() => [(false, false), (false, true), (true, false), (true, true)];

    /// <summary>Row-major operands stored with padded rows, plus a copy of C's starting values.</summary>
    private sealed class Problem
    {
        public bool TransA, TransB;
        public int M, N, K, Lda, Ldb, Ldc;
        public float[] A = [], B = [], C = [], C0 = [];

        public static Problem Create(bool transA, bool transB, int m, int n, int k, int seed)
        {
            var random = new Random(seed);
            int aRows = transA ? k : m, aCols = transA ? m : k;
            int bRows = transB ? n : k, bCols = transB ? k : n;
            var p = new Problem
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k,
                Lda = aCols + Pad, Ldb = bCols + Pad, Ldc = n + Pad,
            };
            p.A = Fill(random, aRows, aCols, p.Lda);
            p.B = Fill(random, bRows, bCols, p.Ldb);
            p.C = Fill(random, m, n, p.Ldc);
            p.C0 = (float[])p.C.Clone();
            return p;
        }

        /// <summary>
        /// Operands with zeros in the runs real data has: every fifth row of op(A) is zero (a dead
        /// unit), each 8-row band of op(A) is zero at about half its steps (a blank pixel of eight
        /// images), each 48-column band of op(B) at about a third of them, plus scattered single
        /// zeros, so that some panels are listed and some stay dense.
        /// </summary>
        public static Problem CreateSparse(bool transA, bool transB, int m, int n, int k, int seed)
        {
            var p = Create(transA, transB, m, n, k, seed);
            var random = new Random(seed + 1);
            var aBands = new bool[(m + 7) / 8, k];
            var bBands = new bool[(n + 47) / 48, k];
            for (int band = 0; band < aBands.GetLength(0); band++)
            for (int s = 0; s < k; s++) aBands[band, s] = random.Next(band % 3 == 2 ? 8 : 2) == 0;
            for (int band = 0; band < bBands.GetLength(0); band++)
            for (int s = 0; s < k; s++) bBands[band, s] = random.Next(band % 2 == 1 ? 8 : 3) == 0;
            for (int i = 0; i < m; i++)
            for (int s = 0; s < k; s++)
                if (i % 5 == 3 || aBands[i / 8, s] || random.Next(10) == 0) p.A[transA ? s * p.Lda + i : i * p.Lda + s] = 0f;
            for (int j = 0; j < n; j++)
            for (int s = 0; s < k; s++)
                if (bBands[j / 48, s] || random.Next(10) == 0) p.B[transB ? j * p.Ldb + s : s * p.Ldb + j] = 0f;
            return p;
        }

        public Problem Clone()
        {
            var copy = (Problem)MemberwiseClone();
            copy.C = (float[])C.Clone();
            copy.C0 = (float[])C0.Clone();
            return copy;
        }

        private static float[] Fill(Random random, int rows, int cols, int ld)
        {
            // One extra element so a zero-sized operand still has an address.
            var data = new float[Math.Max(1, rows * ld)];
            Array.Fill(data, Sentinel);
            for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                data[r * ld + c] = (float)(random.NextDouble() * 2 - 1);
            return data;
        }

        public void Run(float alpha, float beta, int threads, GemmPath path)
        {
            fixed (float* a = A, b = B, c = C)
            {
                Gemm.Sgemm(TransA, TransB, M, N, K, alpha, a, Lda, b, Ldb, beta, c, Ldc, threads, path);
            }
        }

        public void AssertMatchesReference(float alpha, float beta)
        {
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < K; p++)
                    {
                        double a = TransA ? A[p * Lda + i] : A[i * Lda + p];
                        double b = TransB ? B[j * Ldb + p] : B[p * Ldb + j];
                        sum += a * b;
                        magnitude += Math.Abs(a * b);
                    }
                    double expected = alpha * sum;
                    magnitude = Math.Abs(alpha) * magnitude;
                    if (beta != 0)
                    {
                        expected += beta * (double)C0[i * Ldc + j];
                        magnitude += Math.Abs(beta * (double)C0[i * Ldc + j]);
                    }
                    // The worst-case bound of float summation, which any wrong index exceeds by far.
                    double tolerance = (K + 3) * 1.2e-7 * magnitude + 1e-30;
                    float actual = C[i * Ldc + j];
                    Assert.True(Math.Abs(actual - expected) <= tolerance,
                        $"{M}x{N}x{K} transA={TransA} transB={TransB} alpha={alpha} beta={beta}: C[{i},{j}] = {actual}, expected {expected}");
                }
                for (int j = N; j < Ldc && i * Ldc + j < C.Length; j++)
                    Assert.True(C[i * Ldc + j] == C0[i * Ldc + j], $"C[{i},{j}] lies outside the output but was changed");
            }
        }
    }
}
