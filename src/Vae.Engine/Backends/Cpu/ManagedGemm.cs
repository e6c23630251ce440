using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Single-precision GEMM in C#. C is cut into tiles of 8 rows by up to 48 columns, and each
/// tile is computed by one register-blocked FMA micro-kernel over the whole k range, reading
/// 8 rows of op(A) (broadcast) and a 48-column panel of op(B) (vector loads).
/// </summary>
/// <remarks>
/// <para>
/// Operands are read in place where their layout allows it, which for the small matrices of
/// this engine beats copying them: op(A) always (the kernel takes a row and a k stride), op(B)
/// when its rows are contiguous (B not transposed). Copies, "packing", are made for op(B)
/// when B is transposed (the panel must run along k), for ragged last panels (padded with
/// zeros), and for all of op(A) when A is transposed with a long row stride, where reading
/// it in place would touch one cache line, mapped to the same few cache sets, per step.
/// </para>
/// <para>
/// Work is split across threads in whole tiles, and the tile grid and the k blocking depend
/// only on the shape. So every element of C is summed in the same order whatever the thread
/// count, and results are bit-identical for any <c>threads</c>.
/// </para>
/// </remarks>
internal static unsafe partial class ManagedGemm
{
    private const int PanelRows = 8;
    private const int PanelColumns = 48;
    private const int ColumnStep = 16; // a narrower last B panel is rounded up to this

    // Beyond these, k, n and (when A is packed) m are processed in chunks, so that a B panel
    // stays in L2 and the per-thread packing buffers stay bounded. The model fits in one chunk.
    private const int MaxDepth = 1024;
    private const int PackedABudget = 1 << 18; // floats
    private const int PackedBBudget = 1 << 20; // floats

    // A transposed A with at least this row stride (in floats) is packed; see the remarks.
    private const int PackTransposedAStride = 1024;

    // Tiles are handed out in runs of consecutive tiles: a few runs per thread balance the load
    // without every tile costing an atomic increment on a shared counter.
    private const int RunsPerThread = 8;

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (!transA && transB && m <= DotRows)
        {
            Dots(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
            return;
        }
        if (!transA && !transB && m < PanelRows)
        {
            RowSums(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
            return;
        }
        // A batch against a much larger weight runs as C^T = B A^T (ManagedGemm.Swapped.cs).
        if (Swaps(transA, transB, m, n, k, a, lda)) Tiled(false, true, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc, threads, transposedC: true);
        else Tiled(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, transposedC: false);
    }

    /// <summary>The tiled product; with <paramref name="transposedC"/> it computes C^T and stores each tile transposed into C.</summary>
    private static void Tiled(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads, bool transposedC)
    {
        // A transposed A whose rows are zero in numbers (a ReLU layer's dead units in dz^T x) runs on
        // its other rows only, gathered into packed panels (ManagedGemm.ZeroSteps.cs).
        bool checkRows = ChecksZeroRows(transA, m, n, k);
        int* liveRows = stackalloc int[checkRows ? m : 0];
        int rowsToRun = checkRows ? LiveRows(m, k, a, lda, liveRows) : m;
        if (rowsToRun < m) ScaleDeadRows(m, n, beta, c, ldc, liveRows, rowsToRun);
        if (rowsToRun == 0) return;
        int* rowMap = rowsToRun < m ? liveRows : null;

        bool packAllA = transA && (lda >= PackTransposedAStride || rowMap != null);
        int depthChunks = (k + MaxDepth - 1) / MaxDepth;
        int maxDepth = (k + depthChunks - 1) / depthChunks;
        int rowChunk = packAllA ? Math.Max(PanelRows, PackedABudget / maxDepth / PanelRows * PanelRows) : RoundUp(m, PanelRows);
        int columnChunk = Math.Max(PanelColumns, PackedBBudget / maxDepth / PanelColumns * PanelColumns);
        int packedARows = packAllA ? Math.Min(RoundUp(rowsToRun, PanelRows), rowChunk) : PanelRows;
        int packedBColumns = transB ? Math.Min(RoundUp(n, ColumnStep), columnChunk) : Math.Min(n, PanelColumns);

        long stepListRoom = StepListInts(transA, packAllA, Math.Min(rowChunk, m), transB, Math.Min(columnChunk, n), maxDepth);
        PackBuffers buffers = PackBuffers.Rent((long)packedARows * maxDepth, (long)RoundUp(packedBColumns, ColumnStep) * maxDepth, stepListRoom);
        try
        {
            var plan = new Plan
            {
                A = a, Lda = lda, TransA = transA, PackAllA = packAllA, RowMap = rowMap,
                B = b, Ldb = ldb, TransB = transB,
                C = c, Ldc = ldc, Alpha = alpha, TransposedC = transposedC,
                PackedA = buffers.A, PackedB = buffers.B, StepLists = buffers.Steps, StepListRoom = stepListRoom,
            };
            for (int j0 = 0; j0 < n; j0 += columnChunk)
            {
                plan.ColumnStart = j0;
                plan.Columns = Math.Min(columnChunk, n - j0);
                plan.BPanels = (plan.Columns + PanelColumns - 1) / PanelColumns;
                bool raggedB = plan.Columns % PanelColumns % ColumnStep != 0;
                plan.PackedBPanels = transB ? plan.BPanels : raggedB ? 1 : 0;
                for (int chunk = 0; chunk < depthChunks; chunk++)
                {
                    plan.DepthStart = (int)((long)k * chunk / depthChunks);
                    plan.Depth = (int)((long)k * (chunk + 1) / depthChunks) - plan.DepthStart;
                    plan.Beta = chunk == 0 ? beta : 1f;
                    for (int i0 = 0; i0 < rowsToRun; i0 += rowChunk)
                    {
                        plan.RowStart = i0;
                        plan.Rows = Math.Min(rowChunk, rowsToRun - i0);
                        plan.APanels = (plan.Rows + PanelRows - 1) / PanelRows;
                        plan.PackedAPanels = packAllA ? plan.APanels : plan.Rows % PanelRows != 0 ? 1 : 0;
                        plan.PackB = i0 == 0; // later row chunks reuse the packed B
                        RunChunk(ref plan, threads);
                    }
                }
            }
        }
        finally
        {
            buffers.Return();
        }
    }

    /// <summary>
    /// Up to this many rows of A against a transposed B (a dense layer's forward pass for one code
    /// or a few: serving) go to <see cref="Dots"/>: packing B, all of the layer's weights, would
    /// cost several times the product itself.
    /// </summary>
    private const int DotRows = 8;

    /// <summary>
    /// C = alpha A B^T + beta C as dot products: each element is row i of A against row j of B,
    /// both contiguous along k, four rows of B at a time so each load of A is used four times.
    /// Blocks of columns go to threads; each element is summed in the same order whatever the split.
    /// </summary>
    private static void Dots(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        const int Block = 64;
        var job = new DotJob { M = m, N = n, K = k, Alpha = alpha, Beta = beta, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc };
        int blocks = (n + Block - 1) / Block;
        CpuParallel.For(blocks, (long)m * n * k >= 256 * 1024 ? threads : 1, job, &DotJob.Run);
    }

    private struct DotJob
    {
        public int M, N, K, Lda, Ldb, Ldc;
        public float Alpha, Beta;
        public float* A, B, C;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int block, ref DotJob s)
        {
            const int Block = 64;
            int j0 = block * Block, end = Math.Min(s.N, j0 + Block), k = s.K;
            for (int i = 0; i < s.M; i++)
            {
                float* row = s.A + (long)i * s.Lda;
                float* output = s.C + (long)i * s.Ldc;
                int j = j0;
                for (; j + 4 <= end; j += 4)
                {
                    float* b0 = s.B + (long)j * s.Ldb, b1 = b0 + s.Ldb, b2 = b1 + s.Ldb, b3 = b2 + s.Ldb;
                    Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0, acc2 = acc0, acc3 = acc0;
                    int p = 0;
                    for (; p + 8 <= k; p += 8)
                    {
                        var x = Vector256.Load(row + p);
                        acc0 = Vector256.Add(acc0, Vector256.Multiply(x, Vector256.Load(b0 + p)));
                        acc1 = Vector256.Add(acc1, Vector256.Multiply(x, Vector256.Load(b1 + p)));
                        acc2 = Vector256.Add(acc2, Vector256.Multiply(x, Vector256.Load(b2 + p)));
                        acc3 = Vector256.Add(acc3, Vector256.Multiply(x, Vector256.Load(b3 + p)));
                    }
                    float d0 = Vector256.Sum(acc0), d1 = Vector256.Sum(acc1), d2 = Vector256.Sum(acc2), d3 = Vector256.Sum(acc3);
                    for (; p < k; p++)
                    {
                        float x = row[p];
                        d0 += x * b0[p]; d1 += x * b1[p]; d2 += x * b2[p]; d3 += x * b3[p];
                    }
                    Store(output + j, d0, s.Alpha, s.Beta);
                    Store(output + j + 1, d1, s.Alpha, s.Beta);
                    Store(output + j + 2, d2, s.Alpha, s.Beta);
                    Store(output + j + 3, d3, s.Alpha, s.Beta);
                }
                for (; j < end; j++)
                {
                    float* bj = s.B + (long)j * s.Ldb;
                    Vector256<float> acc = Vector256<float>.Zero;
                    int p = 0;
                    for (; p + 8 <= k; p += 8) acc = Vector256.Add(acc, Vector256.Multiply(Vector256.Load(row + p), Vector256.Load(bj + p)));
                    float d = Vector256.Sum(acc);
                    for (; p < k; p++) d += row[p] * bj[p];
                    Store(output + j, d, s.Alpha, s.Beta);
                }
            }
        }

        private static void Store(float* c, float dot, float alpha, float beta) => *c = beta == 0f ? alpha * dot : alpha * dot + beta * *c;
    }

    /// <summary>
    /// C = alpha A B + beta C for fewer rows of A than a panel, B read in place: a frozen dense layer's
    /// forward pass (its weight kept transposed) for one code or a few. A panel would compute eight
    /// rows for each one wanted; here each row of C is the rows of B weighted by its row of A, up to
    /// four rows of C per pass over B. Blocks of columns go to threads, and each element is summed
    /// along k in order with fused multiply-adds, the panel kernels' order.
    /// </summary>
    private static void RowSums(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        var job = new RowSumJob { M = m, N = n, K = k, Alpha = alpha, Beta = beta, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc };
        int blocks = (n + RowSumJob.Block - 1) / RowSumJob.Block;
        CpuParallel.For(blocks, (long)m * n * k >= 256 * 1024 ? threads : 1, job, &RowSumJob.Run);
    }

    // A count known when a generic kernel is compiled (rows of a strip, vectors of a panel), so the
    // compiler drops the code for what a call does not have.
    private interface ICount { static abstract int Value { get; } }
    private struct One : ICount { public static int Value => 1; }
    private struct Two : ICount { public static int Value => 2; }
    private struct Three : ICount { public static int Value => 3; }
    private struct Four : ICount { public static int Value => 4; }

    private struct RowSumJob
    {
        public const int Block = 128; // columns per task: four 32-column strips
        public int M, N, K, Lda, Ldb, Ldc;
        public float Alpha, Beta;
        public float* A, B, C;

        public static void Run(int block, ref RowSumJob s)
        {
            int j0 = block * Block, end = Math.Min(s.N, j0 + Block);
            for (int i = 0; i < s.M; i += 4)
            {
                float* a = s.A + (long)i * s.Lda, c = s.C + (long)i * s.Ldc;
                int j = j0;
                if (s.M - i == 1)
                {
                    // One row streams B for one multiply-add a load: sixty-four columns a row of B
                    // read whole cache lines, which the prefetcher follows down the rows.
                    for (; j + 64 <= end; j += 64) Wide(s.K, a, s.B + j, s.Ldb, c + j, s.Alpha, s.Beta);
                }
                for (; j + 32 <= end; j += 32)
                {
                    switch (Math.Min(4, s.M - i))
                    {
                        case 1: Strip<One>(s.K, a, s.Lda, s.B + j, s.Ldb, c + j, s.Ldc, s.Alpha, s.Beta); break;
                        case 2: Strip<Two>(s.K, a, s.Lda, s.B + j, s.Ldb, c + j, s.Ldc, s.Alpha, s.Beta); break;
                        case 3: Strip<Three>(s.K, a, s.Lda, s.B + j, s.Ldb, c + j, s.Ldc, s.Alpha, s.Beta); break;
                        default: Strip<Four>(s.K, a, s.Lda, s.B + j, s.Ldb, c + j, s.Ldc, s.Alpha, s.Beta); break;
                    }
                }
                for (; j + 8 <= end; j += 8)
                {
                    for (int r = i; r < Math.Min(s.M, i + 4); r++)
                        Narrow(s.K, s.A + (long)r * s.Lda, s.B + j, s.Ldb, s.C + (long)r * s.Ldc + j, s.Alpha, s.Beta);
                }
                for (int r = i; r < Math.Min(s.M, i + 4); r++)
                {
                    float* row = s.A + (long)r * s.Lda, output = s.C + (long)r * s.Ldc;
                    for (int jj = j; jj < end; jj++)
                    {
                        float sum = 0f;
                        for (int p = 0; p < s.K; p++) sum = MathF.FusedMultiplyAdd(row[p], s.B[(long)p * s.Ldb + jj], sum);
                        float scaled = s.Alpha * sum;
                        output[jj] = s.Beta == 0f ? scaled : MathF.FusedMultiplyAdd(output[jj], s.Beta, scaled);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Wide(int k, float* a, float* b, int ldb, float* c, float alpha, float beta)
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (int p = 0; p < k; p++)
            {
                float* bp = b + (long)p * ldb;
                var x = Vector256.Create(a[p]);
                c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp), c0); c1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 8), c1);
                c2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 16), c2); c3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 24), c3);
                c4 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 32), c4); c5 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 40), c5);
                c6 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 48), c6); c7 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 56), c7);
            }
            var al = Vector256.Create(alpha);
            var be = Vector256.Create(beta);
            bool accumulate = beta != 0f;
            Put(c, c0, al, be, accumulate); Put(c + 8, c1, al, be, accumulate); Put(c + 16, c2, al, be, accumulate); Put(c + 24, c3, al, be, accumulate);
            Put(c + 32, c4, al, be, accumulate); Put(c + 40, c5, al, be, accumulate); Put(c + 48, c6, al, be, accumulate); Put(c + 56, c7, al, be, accumulate);
        }

        // One row by eight columns, for what is left of a block after the strips.
        private static void Narrow(int k, float* a, float* b, int ldb, float* c, float alpha, float beta)
        {
            Vector256<float> acc = default;
            for (int p = 0; p < k; p++) acc = Vector256.FusedMultiplyAdd(Vector256.Create(a[p]), Vector256.Load(b + (long)p * ldb), acc);
            Put(c, acc, Vector256.Create(alpha), Vector256.Create(beta), beta != 0f);
        }

        // R rows of C by 32 columns, every accumulator in a register; the generic row count lets the
        // compiler drop the rows a call does not have.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Strip<R>(int k, float* a, int lda, float* b, int ldb, float* c, int ldc, float alpha, float beta) where R : struct, ICount
        {
            Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
            for (int p = 0; p < k; p++)
            {
                float* bp = b + (long)p * ldb;
                Vector256<float> b0 = Vector256.Load(bp), b1 = Vector256.Load(bp + 8), b2 = Vector256.Load(bp + 16), b3 = Vector256.Load(bp + 24);
                var x = Vector256.Create(a[p]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                c02 = Vector256.FusedMultiplyAdd(x, b2, c02); c03 = Vector256.FusedMultiplyAdd(x, b3, c03);
                if (R.Value > 1)
                {
                    x = Vector256.Create(a1[p]);
                    c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                    c12 = Vector256.FusedMultiplyAdd(x, b2, c12); c13 = Vector256.FusedMultiplyAdd(x, b3, c13);
                }
                if (R.Value > 2)
                {
                    x = Vector256.Create(a2[p]);
                    c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                    c22 = Vector256.FusedMultiplyAdd(x, b2, c22); c23 = Vector256.FusedMultiplyAdd(x, b3, c23);
                }
                if (R.Value > 3)
                {
                    x = Vector256.Create(a3[p]);
                    c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                    c32 = Vector256.FusedMultiplyAdd(x, b2, c32); c33 = Vector256.FusedMultiplyAdd(x, b3, c33);
                }
            }
            var al = Vector256.Create(alpha);
            var be = Vector256.Create(beta);
            bool accumulate = beta != 0f;
            Put(c, c00, al, be, accumulate); Put(c + 8, c01, al, be, accumulate); Put(c + 16, c02, al, be, accumulate); Put(c + 24, c03, al, be, accumulate);
            if (R.Value > 1) { float* d = c + ldc; Put(d, c10, al, be, accumulate); Put(d + 8, c11, al, be, accumulate); Put(d + 16, c12, al, be, accumulate); Put(d + 24, c13, al, be, accumulate); }
            if (R.Value > 2) { float* d = c + 2 * ldc; Put(d, c20, al, be, accumulate); Put(d + 8, c21, al, be, accumulate); Put(d + 16, c22, al, be, accumulate); Put(d + 24, c23, al, be, accumulate); }
            if (R.Value > 3) { float* d = c + 3 * ldc; Put(d, c30, al, be, accumulate); Put(d + 8, c31, al, be, accumulate); Put(d + 16, c32, al, be, accumulate); Put(d + 24, c33, al, be, accumulate); }
        }

        private static void Put(float* dst, Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, bool accumulate)
        {
            Vector256<float> r = acc * alpha;
            if (accumulate) r = Vector256.FusedMultiplyAdd(Vector256.Load(dst), beta, r);
            r.Store(dst);
        }
    }

    private struct Plan
    {
        public float* A, B, C, PackedA, PackedB;
        public int Lda, Ldb, Ldc;
        public bool TransA, TransB, PackAllA, PackB;
        // C^T is computed: tile (i, j) goes to C's element (j, i); tiles run along rows of C^T.
        public bool TransposedC;
        public float Alpha, Beta;
        public int RowStart, Rows, ColumnStart, Columns, DepthStart, Depth;
        // Packed panels: all of them, or only the ragged last one (stored first in its buffer).
        public int APanels, BPanels, PackedAPanels, PackedBPanels, Runs;
        // Zero-step lists (ManagedGemm.ZeroSteps.cs): the first AListedPanels A panels and BListedPanels
        // B panels are listed; a count of -1 runs that panel dense.
        public int* StepLists, AStepCounts, ASteps, BStepCounts, BSteps;
        // Which row of C each row of the packed A is, when only A's non-zero rows run; else null.
        public int* RowMap;
        public int AListedPanels, BListedPanels;
        public long StepListRoom;
    }

    private static void RunChunk(ref Plan plan, int threads)
    {
        PlanStepLists(ref plan);
        int packTasks = plan.PackedAPanels + (plan.PackB ? plan.PackedBPanels : 0) + ListSteppingTasks(plan);
        int tiles = plan.APanels * plan.BPanels;
        plan.Runs = threads <= 1 ? 1 : Math.Min(tiles, threads * RunsPerThread);
        if (threads <= 1)
        {
            for (int t = 0; t < packTasks; t++) Pack(t, ref plan);
            ComputeRun(0, ref plan);
            return;
        }
        CpuParallel.For(packTasks, threads, plan, &Pack);
        CpuParallel.For(plan.Runs, threads, plan, &ComputeRun);
    }

    // Packing tasks: the packed A panels, the packed B panels, then the zero-step lists.
    private static void Pack(int task, ref Plan plan)
    {
        int depth = plan.Depth;
        int packedB = plan.PackB ? plan.PackedBPanels : 0;
        if (task >= plan.PackedAPanels + packedB)
        {
            ListSteps(task - plan.PackedAPanels - packedB, ref plan);
            return;
        }
        if (task < plan.PackedAPanels)
        {
            int panel = plan.PackAllA ? task : plan.APanels - 1;
            int r0 = panel * PanelRows;
            int valid = Math.Min(PanelRows, plan.Rows - r0);
            float* dst = plan.PackedA + (plan.PackAllA ? (long)r0 * depth : 0);
            int row = plan.RowStart + r0;
            if (plan.RowMap != null) PackGathered(plan.A + (long)plan.DepthStart * plan.Lda, plan.Lda, plan.RowMap + row, valid, depth, dst);
            else if (plan.TransA) PackCopy(plan.A + (long)plan.DepthStart * plan.Lda + row, plan.Lda, valid, PanelRows, depth, dst);
            else PackTransposed(plan.A + (long)row * plan.Lda + plan.DepthStart, plan.Lda, valid, PanelRows, depth, dst);
        }
        else
        {
            int panel = plan.TransB ? task - plan.PackedAPanels : plan.BPanels - 1;
            int c0 = panel * PanelColumns;
            int valid = Math.Min(PanelColumns, plan.Columns - c0);
            int width = RoundUp(valid, ColumnStep);
            float* dst = plan.PackedB + (plan.TransB ? (long)c0 * depth : 0);
            int column = plan.ColumnStart + c0;
            if (plan.TransB) PackTransposed(plan.B + (long)column * plan.Ldb + plan.DepthStart, plan.Ldb, valid, width, depth, dst);
            else PackCopy(plan.B + (long)plan.DepthStart * plan.Ldb + column, plan.Ldb, valid, width, depth, dst);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeRun(int run, ref Plan plan)
    {
        int tiles = plan.APanels * plan.BPanels;
        int first = (int)((long)tiles * run / plan.Runs);
        int end = (int)((long)tiles * (run + 1) / plan.Runs);
        int depth = plan.Depth;
        float* edge = stackalloc float[PanelRows * PanelColumns];

        // Column-panel-major order: consecutive tiles share the B panel, which stays in cache. A
        // transposed product's packed B is the small operand, all of it in cache: its tiles go
        // row-panel-major, so each panel of A, the large one read in place, is read from memory once.
        for (int t = first; t < end; t++)
        {
            int jp, ip;
            if (plan.TransposedC) (ip, jp) = (t / plan.BPanels, t % plan.BPanels);
            else (jp, ip) = (t / plan.APanels, t % plan.APanels);
            int r0 = ip * PanelRows, c0 = jp * PanelColumns;
            int rows = Math.Min(PanelRows, plan.Rows - r0);
            int columns = Math.Min(PanelColumns, plan.Columns - c0);
            int width = RoundUp(columns, ColumnStep);
            float* ap;
            nint rs, ks;
            if (plan.PackAllA)
            {
                ap = plan.PackedA + (long)r0 * depth;
                (rs, ks) = (1, PanelRows);
            }
            else if (rows < PanelRows)
            {
                ap = plan.PackedA;
                (rs, ks) = (1, PanelRows);
            }
            else if (plan.TransA)
            {
                ap = plan.A + (long)plan.DepthStart * plan.Lda + plan.RowStart + r0;
                (rs, ks) = (1, plan.Lda);
            }
            else
            {
                ap = plan.A + (long)(plan.RowStart + r0) * plan.Lda + plan.DepthStart;
                (rs, ks) = (plan.Lda, 1);
            }
            float* bp;
            nint bs;
            if (plan.TransB)
            {
                bp = plan.PackedB + (long)c0 * depth;
                bs = width;
            }
            else if (columns < width)
            {
                bp = plan.PackedB;
                bs = width;
            }
            else
            {
                bp = plan.B + (long)plan.DepthStart * plan.Ldb + plan.ColumnStart + c0;
                bs = plan.Ldb;
            }
            if (plan.TransposedC)
            {
                Tile(plan, ip, jp, ap, rs, ks, bp, bs, width, edge, width, 0f);
                MergeTransposed(edge, width, plan.C + ((long)(plan.ColumnStart + c0) * plan.Ldc) + plan.RowStart + r0, plan.Ldc, rows, columns, plan.Beta);
                continue;
            }
            float* c = plan.C + (long)(plan.RowStart + r0) * plan.Ldc + plan.ColumnStart + c0;
            if (plan.RowMap == null && rows == PanelRows && columns == width)
            {
                Tile(plan, ip, jp, ap, rs, ks, bp, bs, width, c, plan.Ldc, plan.Beta);
                continue;
            }
            // Ragged tile, or gathered rows: the kernel writes alpha * acc to a scratch tile (padding
            // computes on zeros), and the valid part is merged into its rows of C with the same
            // rounding as the kernel's own store.
            Tile(plan, ip, jp, ap, rs, ks, bp, bs, width, edge, width, 0f);
            if (plan.RowMap != null) MergeRows(edge, width, plan.C + plan.ColumnStart + c0, plan.Ldc, plan.RowMap + plan.RowStart + r0, rows, columns, plan.Beta);
            else MergeEdge(edge, width, c, plan.Ldc, rows, columns, plan.Beta);
        }
    }

    // One tile: over its listed steps when its A or B panel has a list (ManagedGemm.ZeroSteps.cs), else over all of k.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(in Plan plan, int ip, int jp, float* ap, nint rs, nint ks, float* bp, nint bs, int width, float* dst, int ldd, float beta)
    {
        int* steps = TileSteps(plan, ip, jp, out int count);
        if (steps != null) KernelSteps(count, steps, ap, rs, ks, bp, bs, width, dst, ldd, plan.Alpha, beta);
        else Kernel(plan.Depth, ap, rs, ks, bp, bs, width, dst, ldd, plan.Alpha, beta);
    }

    private static void MergeEdge(float* t, int ldt, float* c, int ldc, int rows, int columns, float beta)
    {
        if (Avx512F.IsSupported)
        {
            Vector512<float> vb = Vector512.Create(beta);
            int tail = columns % 16;
            Vector512<float> tailMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(tail)).AsSingle();
            for (int r = 0; r < rows; r++, t += ldt, c += ldc)
            {
                int q = 0;
                for (; q + 16 <= columns; q += 16)
                {
                    Vector512<float> v = Vector512.Load(t + q);
                    if (beta != 0f) v = Avx512F.FusedMultiplyAdd(Vector512.Load(c + q), vb, v);
                    v.Store(c + q);
                }
                if (tail == 0) continue;
                Vector512<float> w = Vector512.Load(t + q); // the scratch tile is a whole panel wide
                if (beta != 0f) w = Avx512F.FusedMultiplyAdd(Avx512F.MaskLoad(c + q, tailMask, Vector512<float>.Zero), vb, w);
                Avx512F.MaskStore(c + q, tailMask, w);
            }
            return;
        }
        for (int r = 0; r < rows; r++, t += ldt, c += ldc)
        {
            if (beta == 0f)
            {
                new ReadOnlySpan<float>(t, columns).CopyTo(new Span<float>(c, columns));
                continue;
            }
            for (int q = 0; q < columns; q++) c[q] = MathF.FusedMultiplyAdd(c[q], beta, t[q]);
        }
    }

    /// <summary>C = beta * C, where beta = 0 clears C whatever it held.</summary>
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>
    /// Packs a panel whose lines run along k in the source: line r (r &lt; valid) starts at
    /// src + r * ld. Output: depth groups of <paramref name="width"/> floats, zero past valid.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed(float* src, int ld, int valid, int width, int depth, float* dst)
    {
        for (int r0 = 0; r0 < width; r0 += 8)
        {
            int lines = Math.Min(8, valid - r0);
            float* s = src + (long)r0 * ld;
            float* d = dst + r0;
            int p = 0;
            if (lines == 8 && Avx.IsSupported)
            {
                for (; p + 8 <= depth; p += 8) Transpose8x8(s + p, ld, d + (long)p * width, width);
            }
            for (; p < depth; p++)
            {
                float* o = d + (long)p * width;
                int r = 0;
                for (; r < lines; r++) o[r] = s[(long)r * ld + p];
                for (; r < 8; r++) o[r] = 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, int ld, float* d, int ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ld);
        Vector256<float> r2 = Avx.LoadVector256(s + 2L * ld), r3 = Avx.LoadVector256(s + 3L * ld);
        Vector256<float> r4 = Avx.LoadVector256(s + 4L * ld), r5 = Avx.LoadVector256(s + 5L * ld);
        Vector256<float> r6 = Avx.LoadVector256(s + 6L * ld), r7 = Avx.LoadVector256(s + 7L * ld);

        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// Packs a panel that is contiguous across its width in the source: step p starts at
    /// src + p * ld and holds <paramref name="valid"/> floats; the rest of the width is zeroed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackCopy(float* src, int ld, int valid, int width, int depth, float* dst)
    {
        for (int p = 0; p < depth; p++, src += ld, dst += width)
        {
            int q = 0;
            for (; q + 8 <= valid; q += 8) Vector256.Store(Vector256.Load(src + q), dst + q);
            for (; q < valid; q++) dst[q] = src[q];
            for (; q < width; q++) dst[q] = 0f;
        }
    }

    private static int RoundUp(int value, int step) => (value + step - 1) / step * step;

    /// <summary>
    /// Packing space owned by one calling thread and reused from call to call. The arrays are
    /// pinned so helper threads can write through raw pointers; a nested call on a thread whose
    /// buffers are busy gets temporary ones.
    /// </summary>
    private sealed class PackBuffers
    {
        [ThreadStatic] private static PackBuffers? _cached;

        private float[] _a = [], _b = [], _steps = [];
        private bool _busy;

        public float* A { get; private set; }
        public float* B { get; private set; }
        public int* Steps { get; private set; }

        public static PackBuffers Rent(long aFloats, long bFloats, long stepInts)
        {
            PackBuffers buffers = _cached ??= new PackBuffers();
            if (buffers._busy) buffers = new PackBuffers();
            buffers._busy = true;
            buffers.A = Ensure(ref buffers._a, aFloats);
            buffers.B = Ensure(ref buffers._b, bFloats);
            buffers.Steps = (int*)Ensure(ref buffers._steps, stepInts); // ints, in float-sized slots
            return buffers;
        }

        public void Return() => _busy = false;

        private static float* Ensure(ref float[] array, long floats)
        {
            const int AlignFloats = 16; // 64 bytes: whole cache lines, aligned vector loads
            if (array.Length < floats + AlignFloats)
            {
                array = GC.AllocateUninitializedArray<float>((int)floats + AlignFloats, pinned: true);
            }
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            return (float*)((address + 63) & ~(nint)63);
        }
    }
}
