using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

// Skipping zero steps of k. A step p of a tile adds A[rows, p] x B[p, columns]; when the tile's
// eight values of A at p are all zero, or its row of B is, the step adds nothing and is skipped.
// Real inputs have such steps in runs: a batch of MNIST digits is 81% zero pixels, and eight
// digits share about half their blank pixels, so the first dense layer's product x W^T needs
// under half its steps; its weight gradient dz^T x skips the steps (images) whose 48 pixels of
// the panel are all blank. A short scan of the first panel decides whether an operand is worth
// listing at all, so dense operands cost one panel's scan.
//
// Zero rows. A ReLU unit that never fires on a batch makes its row of dz^T zero, and the weight
// gradient's row with it: after the first epoch a third of the MLP's 400 hidden units. A
// transposed A is checked for such rows, and when one in eight or more is zero the product runs
// on the others, gathered into packed panels, and the zero rows of C are only scaled by beta.
//
// Results are bit-identical to the dense kernels': skipping adds exactly what the FMA would add
// (x + 0 * b = x for every finite b, and a sum that starts at +0 is never -0). Only a product
// with an infinite or NaN factor facing a zero differs: the dense kernels make it NaN, the
// listed steps never look at it, as a sparse product would.
internal static unsafe partial class ManagedGemm
{
    // A panel is listed only when at most this share of its steps is non-zero: an indexed step
    // costs a little more than a dense one (an index load and a jump in B's addresses).
    private const int ListedShareNumerator = 3, ListedShareDenominator = 4;

    // Lists of a chunk beyond this many ints (per operand) are not made.
    private const int StepListBudget = 1 << 18;

    // VAE_GEMM_ZERO_STEPS=0 runs every product dense, to measure what the lists save.
    private static readonly bool SkipsByDefault = Environment.GetEnvironmentVariable("VAE_GEMM_ZERO_STEPS") != "0";

    [ThreadStatic] private static bool? _skipOnThisThread;

    /// <summary>
    /// Whether products called from this thread skip zero steps (the lists are made on the calling
    /// thread): tests set it to compare the two paths without touching other threads' products.
    /// </summary>
    internal static bool SkipZeroSteps
    {
        get => _skipOnThisThread ?? SkipsByDefault;
        set => _skipOnThisThread = value;
    }

    /// <summary>
    /// Decides which operands of this chunk get step lists and lists their first panels; the other
    /// panels are listed by <see cref="ListSteps"/> tasks next to the packing. A is listed when it is
    /// read in place along rows (not transposed), B when read in place (not transposed).
    /// </summary>
    private static void PlanStepLists(ref Plan plan)
    {
        plan.AListedPanels = plan.BListedPanels = 0;
        plan.AStepCounts = plan.BStepCounts = null;
        int depth = plan.Depth;
        int* lists = plan.StepLists;
        long room = plan.StepListRoom; // what Sgemm reserved for the largest chunk
        int fullA = plan.Rows / PanelRows, fullB = plan.Columns / PanelColumns;
        if (ListsA(plan.TransA, plan.PackAllA, fullA, plan.BPanels, depth) && (room -= (long)fullA * (depth + 1)) >= 0)
        {
            plan.AStepCounts = lists;
            plan.ASteps = lists + fullA;
            if (ListAPanel(0, ref plan) >= 0) plan.AListedPanels = fullA;
            else plan.AStepCounts = null;
            lists += (long)fullA * (depth + 1);
        }
        if (ListsB(plan.TransB, fullB, plan.APanels, depth) && room - (long)fullB * (depth + 1) >= 0)
        {
            plan.BStepCounts = lists;
            plan.BSteps = lists + fullB;
            if (ListBPanel(0, ref plan) >= 0) plan.BListedPanels = fullB;
            else plan.BStepCounts = null;
        }
    }

    // A list must pay for its scan. An A panel's scan reads 8 values a step, a few percent of even
    // one tile's multiply-adds; a B panel's reads 48, an eighth of one tile's, so B is listed only
    // when each of its panels meets at least four A panels.
    private const int MinimumBPanelsForAList = 1, MinimumAPanelsForBList = 4;

    private static bool ListsA(bool transA, bool packAllA, int fullPanels, int otherPanels, int depth)
        => SkipZeroSteps && Avx512F.IsSupported && !transA && !packAllA && fullPanels > 0 && otherPanels >= MinimumBPanelsForAList
            && (long)fullPanels * (depth + 1) <= StepListBudget;

    private static bool ListsB(bool transB, int fullPanels, int otherPanels, int depth)
        => SkipZeroSteps && Avx512F.IsSupported && !transB && fullPanels > 0 && otherPanels >= MinimumAPanelsForBList
            && (long)fullPanels * (depth + 1) <= StepListBudget;

    /// <summary>The ints <see cref="PlanStepLists"/> may use for chunks of up to these sizes.</summary>
    private static long StepListInts(bool transA, bool packAllA, int rowChunk, bool transB, int columnChunk, int depth)
    {
        int fullA = rowChunk / PanelRows, fullB = columnChunk / PanelColumns;
        int aPanels = (rowChunk + PanelRows - 1) / PanelRows, bPanels = (columnChunk + PanelColumns - 1) / PanelColumns;
        return (ListsA(transA, packAllA, fullA, bPanels, depth) ? (long)fullA * (depth + 1) : 0)
            + (ListsB(transB, fullB, aPanels, depth) ? (long)fullB * (depth + 1) : 0);
    }

    /// <summary>Lists panel <paramref name="task"/> + 1 of A, then of B (panel 0 of each was listed when planning).</summary>
    private static void ListSteps(int task, ref Plan plan)
    {
        int aTasks = Math.Max(0, plan.AListedPanels - 1);
        if (task < aTasks) ListAPanel(task + 1, ref plan);
        else ListBPanel(task - aTasks + 1, ref plan);
    }

    private static int ListSteppingTasks(in Plan plan) => Math.Max(0, plan.AListedPanels - 1) + Math.Max(0, plan.BListedPanels - 1);

    // Steps where any of the panel's eight rows of A (row-major, read in place) is non-zero.
    private static int ListAPanel(int panel, ref Plan plan)
    {
        int depth = plan.Depth;
        long lda = plan.Lda;
        float* a = plan.A + (plan.RowStart + (long)panel * PanelRows) * lda + plan.DepthStart;
        int* steps = plan.ASteps + (long)panel * depth;
        int count = 0, p = 0;
        for (; p + 16 <= depth; p += 16) count = Append(steps, count, p, NonZeroSteps16(a + p, lda));
        for (; p < depth; p++)
            if (IsNonZeroStep(a + p, lda)) steps[count++] = p;
        return plan.AStepCounts[panel] = Listed(count, depth);
    }

    // Which of 16 steps from s hold a non-zero value in any of an A panel's eight rows (row-major, rows lda apart).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NonZeroSteps16(float* s, long lda)
    {
        var bits = Vector512.Load(s).AsUInt32() | Vector512.Load(s + lda).AsUInt32()
            | Vector512.Load(s + 2 * lda).AsUInt32() | Vector512.Load(s + 3 * lda).AsUInt32()
            | Vector512.Load(s + 4 * lda).AsUInt32() | Vector512.Load(s + 5 * lda).AsUInt32()
            | Vector512.Load(s + 6 * lda).AsUInt32() | Vector512.Load(s + 7 * lda).AsUInt32();
        return NonZeroLanes(bits);
    }

    // Whether the step at s holds a non-zero value in any of an A panel's eight rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNonZeroStep(float* s, long lda)
    {
        uint bits = 0;
        for (int r = 0; r < PanelRows; r++) bits |= BitConverter.SingleToUInt32Bits(s[r * lda]);
        return (bits & 0x7FFF_FFFFu) != 0;
    }

    // Steps where the panel's 48 columns of B (read in place) are not all zero.
    private static int ListBPanel(int panel, ref Plan plan)
    {
        int depth = plan.Depth;
        long ldb = plan.Ldb;
        float* b = plan.B + (long)plan.DepthStart * ldb + plan.ColumnStart + (long)panel * PanelColumns;
        int* steps = plan.BSteps + (long)panel * depth;
        int count = 0;
        for (int p = 0; p < depth; p++, b += ldb)
        {
            var bits = Vector512.Load(b).AsUInt32() | Vector512.Load(b + 16).AsUInt32() | Vector512.Load(b + 32).AsUInt32();
            if (NonZeroLanes(bits) != 0) steps[count++] = p;
        }
        return plan.BStepCounts[panel] = Listed(count, depth);
    }

    // -1 (run the panel dense) unless few enough steps are left to pay for the indexing.
    private static int Listed(int count, int depth) => (long)count * ListedShareDenominator <= (long)depth * ListedShareNumerator ? count : -1;

    // One bit per lane whose value is not +0 or -0 (NaN and infinities count as non-zero).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NonZeroLanes(Vector512<uint> bits)
        => (uint)(~Vector512.Equals(bits & Vector512.Create(0x7FFF_FFFFu), Vector512<uint>.Zero)).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Append(int* steps, int count, int first, uint lanes)
    {
        while (lanes != 0)
        {
            steps[count++] = first + BitOperations.TrailingZeroCount(lanes);
            lanes &= lanes - 1;
        }
        return count;
    }

    /// <summary>The step list a full tile runs on: its A panel's or its B panel's, the shorter; null for dense.</summary>
    private static int* TileSteps(in Plan plan, int ip, int jp, out int count)
    {
        int* steps = null;
        count = -1;
        if (plan.AStepCounts != null && ip < plan.AListedPanels && plan.AStepCounts[ip] >= 0)
        {
            count = plan.AStepCounts[ip];
            steps = plan.ASteps + (long)ip * plan.Depth;
        }
        if (plan.BStepCounts != null && jp < plan.BListedPanels && plan.BStepCounts[jp] is int b and >= 0 && (count < 0 || b < count))
        {
            count = b;
            steps = plan.BSteps + (long)jp * plan.Depth;
        }
        return steps;
    }

    /// <summary>The AVX-512 tile kernel over the listed steps only, in order: an 8 x 16V tile.</summary>
    private static void KernelSteps(int count, int* steps, float* ap, nint rs, nint ks, float* bp, nint bs, int width, float* dst, int ldd, float alpha, float beta)
    {
        switch (width)
        {
            case 48: KernelSteps<Three>(count, steps, ap, rs, ks, bp, bs, dst, ldd, alpha, beta); break;
            case 32: KernelSteps<Two>(count, steps, ap, rs, ks, bp, bs, dst, ldd, alpha, beta); break;
            default: KernelSteps<One>(count, steps, ap, rs, ks, bp, bs, dst, ldd, alpha, beta); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelSteps<V>(int count, int* steps, float* ap, nint rs, nint ks, float* bp, nint bs, float* dst, int ldd, float alpha, float beta)
        where V : struct, ICount
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs, rs4 = 4 * rs, rs5 = 5 * rs, rs6 = 6 * rs, rs7 = 7 * rs;
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        Vector512<float> b1 = default, b2 = default;
        for (int i = 0; i < count; i++)
        {
            nint p = steps[i];
            float* a = ap + p * ks, b = bp + p * bs;
            Vector512<float> b0 = Vector512.Load(b);
            if (V.Value > 1) b1 = Vector512.Load(b + 16);
            if (V.Value > 2) b2 = Vector512.Load(b + 32);
            Vector512<float> x = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00);
            if (V.Value > 1) c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            if (V.Value > 2) c02 = Avx512F.FusedMultiplyAdd(x, b2, c02);
            x = Vector512.Create(a[rs]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10);
            if (V.Value > 1) c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            if (V.Value > 2) c12 = Avx512F.FusedMultiplyAdd(x, b2, c12);
            x = Vector512.Create(a[rs2]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20);
            if (V.Value > 1) c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            if (V.Value > 2) c22 = Avx512F.FusedMultiplyAdd(x, b2, c22);
            x = Vector512.Create(a[rs3]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30);
            if (V.Value > 1) c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            if (V.Value > 2) c32 = Avx512F.FusedMultiplyAdd(x, b2, c32);
            x = Vector512.Create(a[rs4]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40);
            if (V.Value > 1) c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            if (V.Value > 2) c42 = Avx512F.FusedMultiplyAdd(x, b2, c42);
            x = Vector512.Create(a[rs5]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50);
            if (V.Value > 1) c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            if (V.Value > 2) c52 = Avx512F.FusedMultiplyAdd(x, b2, c52);
            x = Vector512.Create(a[rs6]);
            c60 = Avx512F.FusedMultiplyAdd(x, b0, c60);
            if (V.Value > 1) c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            if (V.Value > 2) c62 = Avx512F.FusedMultiplyAdd(x, b2, c62);
            x = Vector512.Create(a[rs7]);
            c70 = Avx512F.FusedMultiplyAdd(x, b0, c70);
            if (V.Value > 1) c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            if (V.Value > 2) c72 = Avx512F.FusedMultiplyAdd(x, b2, c72);
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        bool acc = beta != 0f;
        PutRow<V>(dst, c00, c01, c02, va, vb, acc); dst += ldd;
        PutRow<V>(dst, c10, c11, c12, va, vb, acc); dst += ldd;
        PutRow<V>(dst, c20, c21, c22, va, vb, acc); dst += ldd;
        PutRow<V>(dst, c30, c31, c32, va, vb, acc); dst += ldd;
        PutRow<V>(dst, c40, c41, c42, va, vb, acc); dst += ldd;
        PutRow<V>(dst, c50, c51, c52, va, vb, acc); dst += ldd;
        PutRow<V>(dst, c60, c61, c62, va, vb, acc); dst += ldd;
        PutRow<V>(dst, c70, c71, c72, va, vb, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutRow<V>(float* dst, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> alpha, Vector512<float> beta, bool accumulate)
        where V : struct, ICount
    {
        Put(dst, v0, alpha, beta, accumulate);
        if (V.Value > 1) Put(dst + 16, v1, alpha, beta, accumulate);
        if (V.Value > 2) Put(dst + 32, v2, alpha, beta, accumulate);
    }

    // Up to this many rows of a transposed A are checked for zero rows (the row map lives on the
    // stack), and only an A of up to ZeroRowScanLimit values against at least one whole B panel:
    // the scan reads all of A once more, which a large, thin product would notice.
    private const int ZeroRowLimit = 4096, ZeroRowScanLimit = 1 << 20;

    /// <summary>Whether a product is worth checking for zero rows of op(A) (see <see cref="LiveRows"/>).</summary>
    private static bool ChecksZeroRows(bool transA, int m, int n, int k)
        => transA && SkipZeroSteps && Avx512F.IsSupported && m >= 2 * PanelRows && m <= ZeroRowLimit && n >= PanelColumns && (long)m * k <= ZeroRowScanLimit;

    /// <summary>
    /// The rows of op(A) = A^T (A stored k x m) holding a non-zero value, in order, into
    /// <paramref name="live"/>; returns their count, or m (run them all) when fewer than one in eight
    /// rows is zero, where gathering would cost more than it saves.
    /// </summary>
    private static int LiveRows(int m, int k, float* a, int lda, int* live)
    {
        uint* bits = (uint*)live; // the OR of each row's values, then overwritten by the list
        new Span<uint>(bits, m).Clear();
        for (int p = 0; p < k; p++)
        {
            float* row = a + (long)p * lda;
            int i = 0;
            for (; i + 16 <= m; i += 16) (Vector512.Load(bits + i) | Vector512.Load(row + i).AsUInt32()).Store(bits + i);
            for (; i < m; i++) bits[i] |= BitConverter.SingleToUInt32Bits(row[i]);
        }
        int count = 0;
        for (int i = 0; i < m; i++)
            if ((bits[i] & 0x7FFF_FFFFu) != 0) live[count++] = i; // count <= i: the list overwrites only what was read
        return (m - count) * PanelRows >= m ? count : m;
    }

    /// <summary>C = beta * C on the rows missing from <paramref name="live"/> (their product is zero).</summary>
    private static void ScaleDeadRows(int m, int n, float beta, float* c, int ldc, int* live, int count)
    {
        for (int i = 0, next = 0; i < m; i++)
        {
            if (next < count && live[next] == i)
            {
                next++;
                continue;
            }
            ScaleC(1, n, beta, c + (long)i * ldc, ldc);
        }
    }

    /// <summary>Packs op(A) = A^T rows rows[0..valid) into an 8-row panel: depth groups of 8, zero past valid.</summary>
    private static void PackGathered(float* a, int lda, int* rows, int valid, int depth, float* dst)
    {
        for (int p = 0; p < depth; p++, a += lda, dst += PanelRows)
        {
            int r = 0;
            for (; r < valid; r++) dst[r] = a[rows[r]];
            for (; r < PanelRows; r++) dst[r] = 0f;
        }
    }

    /// <summary>Merges a scratch tile into the rows of C that <paramref name="rows"/> names: C = tile + beta * C.</summary>
    private static void MergeRows(float* tile, int ldt, float* c, int ldc, int* rows, int count, int columns, float beta)
    {
        for (int r = 0; r < count; r++) MergeEdge(tile + (long)r * ldt, ldt, c + (long)rows[r] * ldc, ldc, 1, columns, beta);
    }
}
