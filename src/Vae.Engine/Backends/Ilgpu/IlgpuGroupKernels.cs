using ILGPU;
using ILGPU.Algorithms;

namespace Vae.Engine.Backends.Ilgpu;

/// <summary>
/// The kernels that work in thread groups (explicitly grouped: shared memory and barriers): the tiled
/// matrix product and the reductions of the fused kernels. Each group sums in a fixed tree order over
/// a fixed split of the work, so results do not depend on scheduling. The group size is a launch
/// setting: 256 threads on a GPU, 16 on ILGPU's CPU accelerator (its largest group); shared arrays are
/// sized for the largest.
/// </summary>
internal static class IlgpuGroupKernels
{
    /// <summary>Every kernel (a public static method without an index parameter).</summary>
    public static IReadOnlyList<System.Reflection.MethodInfo> EntryPoints { get; } = [.. typeof(IlgpuGroupKernels)
        .GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(m => m.ReturnType == typeof(void))];

    public const int MaxGroup = 256;
    /// <summary>The K extent of a GEMM tile: each stage loads this many columns of A and rows of B into shared memory.</summary>
    public const int TileK = 16;
    /// <summary>The largest output tile side: 16 x 16 threads, each computing 4 x 4 outputs.</summary>
    public const int MaxTile = 64;

    /// <summary>
    /// C = alpha op(A) op(B) + beta C for a batch of row-major problems. A group of side x side threads
    /// computes a (4 side) x (4 side) tile of C, each thread a 4 x 4 block held in registers, over
    /// stages of <see cref="TileK"/> loaded into shared memory. The grid runs over problems, then tile rows, then tile columns.
    /// </summary>
    public static void TiledGemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs g, int side)
    {
        var tileA = SharedMemory.Allocate<float>(TileK * MaxTile); // [k][row]
        var tileB = SharedMemory.Allocate<float>(TileK * MaxTile); // [k][col]
        int tile = 4 * side, threads = side * side, t = Group.IdxX;
        int tilesN = (g.N + tile - 1) / tile, tilesM = (g.M + tile - 1) / tile;
        int block = Grid.IdxX, p = block / (tilesM * tilesN), rest = block - (p * tilesM * tilesN);
        int row0 = rest / tilesN * tile, col0 = (rest % tilesN) * tile;
        int tx = t % side, ty = t / side;
        long ab = p * g.StrideA, bb = p * g.StrideB;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k0 = 0; k0 < g.K; k0 += TileK)
        {
            for (int e = t; e < TileK * tile; e += threads)
            {
                int kk = e / tile, r = e - (kk * tile), k = k0 + kk;
                int row = row0 + r, col = col0 + r;
                tileA[(kk * MaxTile) + r] = row < g.M && k < g.K
                    ? (g.TransA != 0 ? a[ab + ((long)k * g.Lda) + row] : a[ab + ((long)row * g.Lda) + k]) : 0f;
                tileB[(kk * MaxTile) + r] = col < g.N && k < g.K
                    ? (g.TransB != 0 ? b[bb + ((long)col * g.Ldb) + k] : b[bb + ((long)k * g.Ldb) + col]) : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int at = kk * MaxTile;
                float a0 = tileA[at + ty], a1 = tileA[at + ty + side], a2 = tileA[at + ty + (2 * side)], a3 = tileA[at + ty + (3 * side)];
                float b0 = tileB[at + tx], b1 = tileB[at + tx + side], b2 = tileB[at + tx + (2 * side)], b3 = tileB[at + tx + (3 * side)];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        long cb = p * g.StrideC;
        int r0 = row0 + ty, q0 = col0 + tx;
        Store(c, g, cb, r0, q0, side, c00, c01, c02, c03);
        Store(c, g, cb, r0 + side, q0, side, c10, c11, c12, c13);
        Store(c, g, cb, r0 + (2 * side), q0, side, c20, c21, c22, c23);
        Store(c, g, cb, r0 + (3 * side), q0, side, c30, c31, c32, c33);
    }

    private static void Store(ArrayView<float> c, in GemmArgs g, long cb, int row, int col, int side, float v0, float v1, float v2, float v3)
    {
        if (row >= g.M) return;
        long rowAt = cb + ((long)row * g.Ldc);
        Put(c, g, rowAt, col, v0);
        Put(c, g, rowAt, col + side, v1);
        Put(c, g, rowAt, col + (2 * side), v2);
        Put(c, g, rowAt, col + (3 * side), v3);
    }

    private static void Put(ArrayView<float> c, in GemmArgs g, long rowAt, int col, float sum)
    {
        if (col >= g.N) return;
        long at = rowAt + col;
        c[at] = g.Beta == 0f ? g.Alpha * sum : (g.Alpha * sum) + (g.Beta * c[at]);
    }

    // ---- reductions ----

    /// <summary>Sums each thread's value over the group in a fixed tree order; every thread gets the total.</summary>
    private static double GroupSum(ArrayView<double> scratch, double value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (t < half) scratch[t] += scratch[t + half];
            Group.Barrier();
        }
        double total = scratch[0];
        Group.Barrier(); // the scratch may be reused as soon as this returns
        return total;
    }

    /// <summary>
    /// First stage of a loss: group j sums the terms of its stride of elements (element i goes to
    /// group (i / group size) mod groups) into partials[j]; for <see cref="PairTerms.BceLogitsWithGradient"/>
    /// it also writes each element's gradient sigmoid(l) - t.
    /// </summary>
    public static void PairSumPartials(ArrayView<float> a, ArrayView<float> b, ArrayView<float> gradient, ArrayView<double> partials, int count, int kind)
    {
        var scratch = SharedMemory.Allocate<double>(MaxGroup);
        int step = Grid.DimX * Group.DimX;
        double sum = 0;
        for (int i = (Grid.IdxX * Group.DimX) + Group.IdxX; i < count; i += step)
        {
            float av = a[i], bv = b[i];
            sum += PairTerms.Term(kind, av, bv);
            if (kind == PairTerms.BceLogitsWithGradient) gradient[i] = (1f / (1f + XMath.Exp(-av))) - bv;
        }
        double total = GroupSum(scratch, sum);
        if (Group.IdxX == 0) partials[Grid.IdxX] = total;
    }

    /// <summary>Second stage: one group adds the partials in order into result[0].</summary>
    public static void SumPartials(ArrayView<double> partials, ArrayView<float> result, int count)
    {
        var scratch = SharedMemory.Allocate<double>(MaxGroup);
        double sum = 0;
        for (int i = Group.IdxX; i < count; i += Group.DimX) sum += partials[i];
        double total = GroupSum(scratch, sum);
        if (Group.IdxX == 0) result[0] = (float)total;
    }

    /// <summary>
    /// Batch norm forward, one group per channel (the grid index): with batch statistics, the
    /// channel's mean, then its biased variance around it (two passes, in double), written to mean and
    /// invStd; then y = act((x - mean) invStd weight + bias + residual). Flags: <see cref="NormFlags"/>.
    /// </summary>
    public static void BatchNormForward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> residual,
        ArrayView<float> mean, ArrayView<float> invStd, NormArgs s)
    {
        var scratch = SharedMemory.Allocate<double>(MaxGroup);
        int c = Grid.IdxX, t = Group.IdxX, threads = Group.DimX, count = s.N * s.Inner;
        long stride = (long)s.Channels * s.Inner, first = (long)c * s.Inner;
        if ((s.Flags & NormFlags.BatchStatistics) != 0)
        {
            double sum = 0;
            for (int e = t; e < count; e += threads) sum += x[At(e, s.Inner, stride, first)];
            double m = GroupSum(scratch, sum) / count;
            double squares = 0;
            for (int e = t; e < count; e += threads)
            {
                double d = x[At(e, s.Inner, stride, first)] - (float)m;
                squares += d * d;
            }
            double variance = GroupSum(scratch, squares) / count;
            if (t == 0)
            {
                mean[c] = (float)m;
                invStd[c] = (float)(1.0 / XMath.Sqrt(variance + s.Eps));
            }
            Group.Barrier();
        }
        float scale = invStd[c] * ((s.Flags & NormFlags.Weight) != 0 ? weight[c] : 1f);
        float shift = ((s.Flags & NormFlags.Bias) != 0 ? bias[c] : 0f) - (mean[c] * scale);
        for (int e = t; e < count; e += threads)
        {
            long at = At(e, s.Inner, stride, first);
            float v = (x[at] * scale) + shift + ((s.Flags & NormFlags.Residual) != 0 ? residual[at] : 0f);
            y[at] = (s.Flags & NormFlags.Relu) != 0 && !(v > 0f) ? 0f : v;
        }
    }

    /// <summary>
    /// Batch norm backward, one group per channel: g = dy masked by the ReLU; the channel's sums of g
    /// and g (x - mean) give dWeight and dBias, and, with batch statistics, the paths through the mean
    /// and variance in dx. Everything is added into its destination.
    /// </summary>
    public static void BatchNormBackward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> weight, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> dx, ArrayView<float> dWeight, ArrayView<float> dBias, ArrayView<float> dResidual, NormArgs s)
    {
        var scratch = SharedMemory.Allocate<double>(MaxGroup);
        int c = Grid.IdxX, t = Group.IdxX, threads = Group.DimX, count = s.N * s.Inner;
        long stride = (long)s.Channels * s.Inner, first = (long)c * s.Inner;
        bool relu = (s.Flags & NormFlags.Relu) != 0;
        float m = mean[c], inv = invStd[c];
        double sumG = 0, sumGCentred = 0;
        for (int e = t; e < count; e += threads)
        {
            long at = At(e, s.Inner, stride, first);
            float g = relu && !(y[at] > 0f) ? 0f : dy[at];
            if ((s.Flags & NormFlags.DResidual) != 0) dResidual[at] += g;
            sumG += g;
            sumGCentred += g * (x[at] - m);
        }
        double totalG = GroupSum(scratch, sumG), totalGXhat = GroupSum(scratch, sumGCentred) * inv;
        if (t == 0)
        {
            if ((s.Flags & NormFlags.DWeight) != 0) dWeight[c] += (float)totalGXhat;
            if ((s.Flags & NormFlags.DBias) != 0) dBias[c] += (float)totalG;
        }
        if ((s.Flags & NormFlags.Dx) == 0) return;
        bool batch = (s.Flags & NormFlags.BatchStatistics) != 0;
        float k = ((s.Flags & NormFlags.Weight) != 0 ? weight[c] : 1f) * inv;
        float meanG = batch ? (float)(totalG / count) : 0f;
        float slope = batch ? (float)(totalGXhat / count) * inv : 0f;
        for (int e = t; e < count; e += threads)
        {
            long at = At(e, s.Inner, stride, first);
            float g = relu && !(y[at] > 0f) ? 0f : dy[at];
            dx[at] += k * (g - meanG - ((x[at] - m) * slope));
        }
    }

    /// <summary>Where element e of a channel lies: image e / inner, position e mod inner.</summary>
    private static long At(int e, int inner, long stride, long first)
    {
        int image = e / inner;
        return (image * stride) + first + (e - (image * inner));
    }
}

/// <summary>The element terms of the loss sums (see <see cref="ILossKernels"/> and <see cref="ILatentKernels"/>).</summary>
internal static class PairTerms
{
    public const int BceLogits = 0, BceLogitsWithGradient = 1, Bce = 2, Squared = 3, Kl = 4;

    public static double Term(int kind, float a, float b)
    {
        switch (kind)
        {
            case BceLogits:
            case BceLogitsWithGradient:
                return XMath.Max(a, 0f) - (b * a) + XMath.Log(1f + XMath.Exp(-XMath.Abs(a)));
            case Bce:
                return -((b * XMath.Max(XMath.Log(a), -100f)) + ((1f - b) * XMath.Max(XMath.Log(1f - a), -100f)));
            case Squared:
                float d = a - b;
                return d * d;
            default: // Kl: a = mu, b = log-variance
                return -0.5f * (1f + b - (a * a) - XMath.Exp(b));
        }
    }
}

/// <summary>Which optional parts a batch-norm kernel has.</summary>
internal static class NormFlags
{
    public const int Weight = 1, Bias = 2, Residual = 4, Relu = 8, BatchStatistics = 16, Dx = 32, DWeight = 64, DBias = 128, DResidual = 256;
}

internal struct NormArgs
{
    public int N, Channels, Inner, Flags;
    public float Eps;
}
