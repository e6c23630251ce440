using System.Numerics.Tensors;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The strided copy behind views: walks an index space of any rank with separate source and
/// destination strides. Dimensions that are contiguous on both sides are merged first, so a
/// dense copy is one span copy and a transpose is a loop of rows. Rows go to several threads
/// when the destination has no repeated elements (no zero stride).
/// </summary>
internal static unsafe class StridedCopy
{
    private const int MaxRank = 16;
    private const int ParallelElements = 64 * 1024;

    public static void Run(float* src, ReadOnlySpan<int> srcStrides, float* dst, ReadOnlySpan<int> dstStrides, ReadOnlySpan<int> shape, bool accumulate, int threads)
    {
        if (shape.Length > MaxRank) throw new ArgumentException($"Strided copies support up to {MaxRank} dimensions, got {shape.Length}.");
        var plan = new Plan { Src = src, Dst = dst, Accumulate = accumulate };
        int rank = 0;
        long count = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return;
            count *= shape[d];
            if (shape[d] == 1) continue;
            // Merge into the previous dimension when both sides step through it contiguously.
            if (rank > 0 && plan.SrcStrides[rank - 1] == (long)srcStrides[d] * shape[d] && plan.DstStrides[rank - 1] == (long)dstStrides[d] * shape[d])
            {
                plan.Shape[rank - 1] *= shape[d];
                plan.SrcStrides[rank - 1] = srcStrides[d];
                plan.DstStrides[rank - 1] = dstStrides[d];
                continue;
            }
            plan.Shape[rank] = shape[d];
            plan.SrcStrides[rank] = srcStrides[d];
            plan.DstStrides[rank] = dstStrides[d];
            rank++;
        }
        if (rank == 0)
        {
            if (accumulate) dst[0] += src[0]; else dst[0] = src[0];
            return;
        }
        plan.Rank = rank;
        plan.Inner = plan.Shape[rank - 1];
        plan.Rows = count / plan.Inner;

        bool repeats = false;
        for (int d = 0; d < rank; d++) repeats |= plan.DstStrides[d] == 0;
        if (!repeats && rank >= 2 && plan.SrcStrides[rank - 2] == 1 && plan.DstStrides[rank - 1] == 1 && plan.SrcStrides[rank - 1] != 1)
        {
            // A transpose in the last two dimensions: copy in square tiles, so reads and writes both stay in cache lines.
            plan.Rows = count / ((long)plan.Shape[rank - 1] * plan.Shape[rank - 2]);
            plan.Chunks = (int)Math.Min(plan.Rows, threads * 4L);
            if (threads <= 1 || count < ParallelElements || plan.Chunks <= 1)
                for (long m = 0; m < plan.Rows; m++) TransposeMatrix(ref plan, m);
            else CpuParallel.For(plan.Chunks, threads, plan, &TransposeChunk);
            return;
        }
        int chunks = (int)Math.Min(plan.Rows, threads * 8L);
        if (repeats || count < ParallelElements || threads <= 1 || chunks <= 1)
        {
            RunRows(ref plan, 0, plan.Rows);
            return;
        }
        plan.Chunks = chunks;
        CpuParallel.For(chunks, threads, plan, &RunChunk);
    }

    private struct Plan
    {
        public float* Src, Dst;
        public bool Accumulate;
        public int Rank, Inner, Chunks;
        public long Rows;
        public fixed int Shape[MaxRank];
        public fixed long SrcStrides[MaxRank];
        public fixed long DstStrides[MaxRank];
    }

    private static void TransposeChunk(int chunk, ref Plan plan)
    {
        long start = plan.Rows * chunk / plan.Chunks, end = plan.Rows * (chunk + 1) / plan.Chunks;
        for (long m = start; m < end; m++) TransposeMatrix(ref plan, m);
    }

    /// <summary>Matrix m of the leading dimensions: dst[i, j] (+)= src[i, j] with src column-contiguous and dst row-contiguous.</summary>
    private static void TransposeMatrix(ref Plan plan, long m)
    {
        const int Tile = 16;
        int rank = plan.Rank, rows = plan.Shape[rank - 2], cols = plan.Shape[rank - 1];
        long srcOffset = 0, dstOffset = 0, rest = m;
        for (int d = rank - 3; d >= 0; d--)
        {
            long index = rest % plan.Shape[d];
            rest /= plan.Shape[d];
            srcOffset += index * plan.SrcStrides[d];
            dstOffset += index * plan.DstStrides[d];
        }
        long srcCol = plan.SrcStrides[rank - 1], dstRow = plan.DstStrides[rank - 2];
        float* src = plan.Src + srcOffset, dst = plan.Dst + dstOffset;
        for (int i0 = 0; i0 < rows; i0 += Tile)
            for (int j0 = 0; j0 < cols; j0 += Tile)
            {
                int i1 = Math.Min(rows, i0 + Tile), j1 = Math.Min(cols, j0 + Tile);
                for (int i = i0; i < i1; i++)
                {
                    float* d = dst + i * dstRow;
                    float* sp = src + i;
                    if (plan.Accumulate) for (int j = j0; j < j1; j++) d[j] += sp[j * srcCol];
                    else for (int j = j0; j < j1; j++) d[j] = sp[j * srcCol];
                }
            }
    }

    private static void RunChunk(int chunk, ref Plan plan)
    {
        long start = plan.Rows * chunk / plan.Chunks, end = plan.Rows * (chunk + 1) / plan.Chunks;
        RunRows(ref plan, start, end);
    }

    private static void RunRows(ref Plan plan, long start, long end)
    {
        int outerRank = plan.Rank - 1, n = plan.Inner;
        long ss = plan.SrcStrides[outerRank], ds = plan.DstStrides[outerRank];
        Span<int> index = stackalloc int[MaxRank];
        long srcOffset = 0, dstOffset = 0, rest = start;
        for (int d = outerRank - 1; d >= 0; d--)
        {
            index[d] = (int)(rest % plan.Shape[d]);
            rest /= plan.Shape[d];
            srcOffset += index[d] * plan.SrcStrides[d];
            dstOffset += index[d] * plan.DstStrides[d];
        }
        for (long row = start; row < end; row++)
        {
            Line(plan.Src + srcOffset, ss, plan.Dst + dstOffset, ds, n, plan.Accumulate);
            // Odometer step to the next row.
            for (int d = outerRank - 1; d >= 0; d--)
            {
                srcOffset += plan.SrcStrides[d];
                dstOffset += plan.DstStrides[d];
                if (++index[d] < plan.Shape[d]) break;
                srcOffset -= plan.SrcStrides[d] * plan.Shape[d];
                dstOffset -= plan.DstStrides[d] * plan.Shape[d];
                index[d] = 0;
            }
        }
    }

    private static void Line(float* src, long ss, float* dst, long ds, int n, bool accumulate)
    {
        if (ss == 1 && ds == 1)
        {
            var s = new ReadOnlySpan<float>(src, n);
            var t = new Span<float>(dst, n);
            if (accumulate) TensorPrimitives.Add(t, s, t); else s.CopyTo(t);
        }
        else if (ss == 0 && ds == 1)
        {
            var t = new Span<float>(dst, n);
            if (accumulate) TensorPrimitives.Add(t, src[0], t); else t.Fill(src[0]);
        }
        else if (ds == 0)
        {
            float sum = 0;
            if (ss == 1) sum = TensorPrimitives.Sum(new ReadOnlySpan<float>(src, n));
            else for (int i = 0; i < n; i++) sum += src[i * ss];
            if (accumulate) dst[0] += sum; else dst[0] = src[(n - 1) * ss];
        }
        else if (accumulate)
        {
            for (int i = 0; i < n; i++) dst[i * ds] += src[i * ss];
        }
        else
        {
            for (int i = 0; i < n; i++) dst[i * ds] = src[i * ss];
        }
    }
}
