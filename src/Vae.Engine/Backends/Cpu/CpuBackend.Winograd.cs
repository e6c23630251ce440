using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Vae.Engine.Diagnostics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// 3x3 convolutions with stride 1 and padding 1 by Winograd's minimal filtering F(2x2, 3x3)
/// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015). Each 2x2 block of
/// outputs comes from a 4x4 block of inputs: with the filter transformed to U = G g G^T and the
/// input to V = B^T d B, the output is A^T (U .* V) A. Summed over input channels, the elementwise
/// product becomes 16 independent GEMMs, M_k = U_k V_k, with 2.25 times fewer multiplications than
/// the direct (im2col) product. The backward pass uses the same machinery: the input gradient is
/// the forward convolution of dY with the flipped, transposed filter, and the filter gradient is
/// dU_k = dM_k V_k^T, with dM the adjoint of the output transform applied to dY.
/// </summary>
/// <remarks>
/// Layouts: U (16, O, C); V (16, C, T) and M (16, O, T) for T tiles, tile t = (image, row, column)
/// of 2x2 output blocks. Each transform walks one (image, channel, tile row) at a time, with tile
/// columns across SIMD lanes: the input row is first split into its even and odd columns, so the
/// 4x4 windows of 8 neighbouring tiles are plain vector loads. Images go through in chunks sized
/// so that V and M stay within a fixed budget.
/// </remarks>
[System.Runtime.CompilerServices.SkipLocalsInit]
public sealed unsafe partial class CpuBackend
{
    private const int WinogradBudget = 8 * 1024 * 1024; // floats of V or M per chunk (32 MB)

    /// <summary>
    /// From this many input and output channels on, F(4x4, 3x3) is used: its GEMMs do 1.8 times less
    /// work than F(2x2, 3x3)'s and its transforms move less data, which pays once the GEMMs dominate.
    /// </summary>
    internal const int LargeTileChannels = 32;

    private static bool LargeTiles(int inChannels, int outChannels) => inChannels >= LargeTileChannels && outChannels >= LargeTileChannels;

    public void Conv3x3Forward(BufferRef x, BufferRef weight, BufferRef y, int n, int inChannels, int outChannels, int h, int w)
    {
        // What the products and buffers inside leave is the transforms' time.
        long started = StepProfiler.Start();
        Conv3x3ForwardOnce(x, weight, y, n, inChannels, outChannels, h, w);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    private void Conv3x3ForwardOnce(BufferRef x, BufferRef weight, BufferRef y, int n, int inChannels, int outChannels, int h, int w)
    {
        if (LargeTiles(inChannels, outChannels))
        {
            Conv3x3Forward4(Ptr(x), Ptr(weight), Ptr(y), n, inChannels, outChannels, h, w);
            return;
        }
        var plan = new WinogradPlan(n, inChannels, outChannels, h, w);
        using var u = ScratchBuffer(16 * outChannels * inChannels);
        FilterTransform(Ptr(weight), u.Pointer, outChannels, inChannels, flip: false);
        RunForward(plan, Ptr(x), u.Pointer, Ptr(y), inChannels, outChannels, accumulate: false);
    }

    public void Conv3x3Backward(BufferRef x, BufferRef weight, BufferRef dy, int n, int inChannels, int outChannels, int h, int w, BufferRef? dx, BufferRef? dWeight)
    {
        long started = StepProfiler.Start();
        Conv3x3BackwardOnce(x, weight, dy, n, inChannels, outChannels, h, w, dx, dWeight);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    private void Conv3x3BackwardOnce(BufferRef x, BufferRef weight, BufferRef dy, int n, int inChannels, int outChannels, int h, int w, BufferRef? dx, BufferRef? dWeight)
    {
        if (LargeTiles(inChannels, outChannels))
        {
            Conv3x3Backward4(Ptr(x), Ptr(weight), Ptr(dy), n, inChannels, outChannels, h, w, dx is { } d ? Ptr(d) : null, dWeight is { } g ? Ptr(g) : null);
            return;
        }
        var plan = new WinogradPlan(n, inChannels, outChannels, h, w);
        if (dx is { } dInput)
        {
            // dX = conv(dY, W') with W'[c, o] = W[o, c] rotated by 180 degrees.
            using var flipped = ScratchBuffer(16 * inChannels * outChannels);
            FilterTransform(Ptr(weight), flipped.Pointer, outChannels, inChannels, flip: true);
            RunForward(plan, Ptr(dy), flipped.Pointer, Ptr(dInput), outChannels, inChannels, accumulate: true);
        }
        if (dWeight is { } dW)
        {
            using var du = ScratchBuffer(16 * outChannels * inChannels);
            int chunk = plan.ChunkImages;
            using var v = ScratchBuffer(16 * inChannels * chunk * plan.TilesPerImage);
            using var dm = ScratchBuffer(16 * outChannels * chunk * plan.TilesPerImage);
            for (int first = 0; first < n; first += chunk)
            {
                int count = Math.Min(chunk, n - first), tiles = count * plan.TilesPerImage;
                InputTransform(plan, Ptr(x) + (long)first * inChannels * h * w, v.Pointer, count, inChannels);
                OutputTransformAdjoint(plan, Ptr(dy) + (long)first * outChannels * h * w, dm.Pointer, count, outChannels);
                // dU_k (O, C) += dM_k (O, T) @ V_k^T (T, C), for the 16 k at once.
                Cpu.Gemm.Batched(false, true, outChannels, inChannels, tiles, dm.Pointer, tiles, (long)outChannels * tiles,
                    v.Pointer, tiles, (long)inChannels * tiles, first == 0 ? 0f : 1f, du.Pointer, inChannels, (long)outChannels * inChannels, 16, ThreadBudget.Current);
            }
            FilterTransformAdjoint(du.Pointer, Ptr(dW), outChannels, inChannels);
        }
    }

    /// <summary>Y (or dX) of a chunked Winograd convolution with transformed filter U (16, outC, inC).</summary>
    private void RunForward(in WinogradPlan plan, float* x, float* u, float* y, int inC, int outC, bool accumulate)
    {
        int chunk = plan.ChunkImages;
        using var v = ScratchBuffer(16 * inC * chunk * plan.TilesPerImage);
        using var m = ScratchBuffer(16 * outC * chunk * plan.TilesPerImage);
        for (int first = 0; first < plan.Images; first += chunk)
        {
            int count = Math.Min(chunk, plan.Images - first), tiles = count * plan.TilesPerImage;
            InputTransform(plan, x + (long)first * inC * plan.Height * plan.Width, v.Pointer, count, inC);
            // M_k (O, T) = U_k (O, C) @ V_k (C, T)
            Cpu.Gemm.Batched(false, false, outC, tiles, inC, u, inC, (long)outC * inC, v.Pointer, tiles, (long)inC * tiles,
                0f, m.Pointer, tiles, (long)outC * tiles, 16, ThreadBudget.Current);
            OutputTransform(plan, m.Pointer, y + (long)first * outC * plan.Height * plan.Width, count, outC, accumulate);
        }
    }

    /// <summary>The shape of one Winograd convolution and its chunking.</summary>
    private readonly struct WinogradPlan
    {
        /// <param name="tile">The output tile's side: 2 for F(2x2,3x3), 4 for F(4x4,3x3); a window of tile + 2 points a side.</param>
        public WinogradPlan(int images, int inChannels, int outChannels, int height, int width, int tile = 2)
        {
            Images = images; Height = height; Width = width;
            TileRows = (height + tile - 1) / tile; TileColumns = (width + tile - 1) / tile;
            TilesPerImage = TileRows * TileColumns;
            long perImage = (long)(tile + 2) * (tile + 2) * Math.Max(inChannels, outChannels) * TilesPerImage;
            ChunkImages = (int)Math.Clamp(WinogradBudget / perImage, 1, Math.Max(1, images));
        }

        public int Images { get; }
        public int Height { get; }
        public int Width { get; }
        public int TileRows { get; }
        public int TileColumns { get; }
        public int TilesPerImage { get; }
        public int ChunkImages { get; }
    }

    // ---- filter transforms (small: scalar code) ----

    /// <summary>U[k, o, c] = (G g G^T)[k] for g = W[o, c] (or, flipped, U[k, c, o] for g = W[o, c] rotated 180 degrees).</summary>
    private static void FilterTransform(float* weight, float* u, int outC, int inC, bool flip)
    {
        Span<float> g = stackalloc float[9];
        Span<float> t = stackalloc float[12];
        for (int o = 0; o < outC; o++)
            for (int c = 0; c < inC; c++)
            {
                float* src = weight + ((long)o * inC + c) * 9;
                for (int i = 0; i < 9; i++) g[i] = flip ? src[8 - i] : src[i];
                // t = G g (4x3)
                for (int j = 0; j < 3; j++)
                {
                    float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                    t[j] = g0; t[3 + j] = 0.5f * (g0 + g1 + g2); t[6 + j] = 0.5f * (g0 - g1 + g2); t[9 + j] = g2;
                }
                long at = flip ? (long)c * outC + o : (long)o * inC + c, plane = (long)outC * inC;
                for (int i = 0; i < 4; i++)
                {
                    float t0 = t[3 * i], t1 = t[3 * i + 1], t2 = t[3 * i + 2];
                    u[(4 * i + 0) * plane + at] = t0;
                    u[(4 * i + 1) * plane + at] = 0.5f * (t0 + t1 + t2);
                    u[(4 * i + 2) * plane + at] = 0.5f * (t0 - t1 + t2);
                    u[(4 * i + 3) * plane + at] = t2;
                }
            }
    }

    /// <summary>dW[o, c] += G^T dU[., o, c] G, the adjoint of <see cref="FilterTransform"/>.</summary>
    private static void FilterTransformAdjoint(float* du, float* dWeight, int outC, int inC)
    {
        long plane = (long)outC * inC;
        Span<float> d = stackalloc float[16];
        Span<float> r = stackalloc float[12];
        for (int o = 0; o < outC; o++)
            for (int c = 0; c < inC; c++)
            {
                long at = (long)o * inC + c;
                for (int k = 0; k < 16; k++) d[k] = du[k * plane + at];
                // r = G^T dU (3x4)
                for (int j = 0; j < 4; j++)
                {
                    float d0 = d[j], d1 = d[4 + j], d2 = d[8 + j], d3 = d[12 + j];
                    r[j] = d0 + 0.5f * (d1 + d2); r[4 + j] = 0.5f * (d1 - d2); r[8 + j] = 0.5f * (d1 + d2) + d3;
                }
                float* dst = dWeight + at * 9;
                for (int k = 0; k < 3; k++)
                {
                    float r0 = r[4 * k], r1 = r[4 * k + 1], r2 = r[4 * k + 2], r3 = r[4 * k + 3];
                    dst[3 * k] += r0 + 0.5f * (r1 + r2);
                    dst[3 * k + 1] += 0.5f * (r1 - r2);
                    dst[3 * k + 2] += 0.5f * (r1 + r2) + r3;
                }
            }
    }

    // ---- data transforms (large: vectorised over tile columns) ----

    private struct TransformJob
    {
        public float* Source, Destination;
        public int Channels, Height, Width, TileRows, TileColumns, Count;
        public bool Accumulate;
    }

    /// <summary>V[k, c, t] = (B^T d B)[k] for every 4x4 input window d (zero outside the image) of count images.</summary>
    private static void InputTransform(in WinogradPlan plan, float* x, float* v, int count, int channels)
    {
        var job = new TransformJob { Source = x, Destination = v, Channels = channels, Height = plan.Height, Width = plan.Width, TileRows = plan.TileRows, TileColumns = plan.TileColumns, Count = count };
        // One (image, channel) plane per unit: units of a few microseconds keep the shared work counter quiet.
        if (plan.TileColumns >= Vector<float>.Count) CpuParallel.For(count * channels, ThreadBudget.Current, job, &InputRows);
        else CpuParallel.For(NarrowUnits(job), ThreadBudget.Current, job, &InputNarrow);
    }

    /// <summary>
    /// One (image, channel) plane: per tile row, 4 input rows to 16 rows of V. Neighbouring tile
    /// rows share two input rows, so split rows are kept in a ring of four and each tile row
    /// splits only the two rows it adds.
    /// </summary>
    private static void InputRows(int unit, ref TransformJob s)
    {
        int c = unit % s.Channels, image = unit / s.Channels;
        int columns = s.TileColumns, padded = RoundUp(columns + 1), w = Vector<float>.Count;
        float* plane = s.Source + ((long)image * s.Channels + c) * s.Height * s.Width;
        long tiles = (long)s.Count * s.TileRows * columns, plane16 = (long)s.Channels * tiles;
        // Ring slot of input row r: (r + 1) mod 4; even[t] = row[2t], odd[t] = row[2t - 1] (zero outside).
        float* even = stackalloc float[4 * padded];
        float* odd = stackalloc float[4 * padded];
        float* tail = stackalloc float[16 * w];
        for (int r = -1; r < 1; r++) SplitRow(plane, r, s.Height, s.Width, even + (r + 1) * padded, odd + (r + 1) * padded, columns + 1);
        for (int tileRow = 0; tileRow < s.TileRows; tileRow++)
        {
            int top = 2 * tileRow - 1;
            for (int r = top + 2; r < top + 4; r++)
            {
                int slot = (r + 1) & 3;
                SplitRow(plane, r, s.Height, s.Width, even + slot * padded, odd + slot * padded, columns + 1);
            }
            var rows = new RowSet(even, odd, padded, (top + 1) & 3);
            float* dst = s.Destination + (long)c * tiles + ((long)image * s.TileRows + tileRow) * columns;
            int t = 0;
            for (; t <= columns - w; t += w) InputTile(rows, t, dst + t, plane16);
            if (t < columns)
            {
                // The last, partial group of tiles: computed in full from the zero-padded rows, stored in part.
                InputTile(rows, t, tail, w);
                for (int k = 0; k < 16; k++)
                    for (int i = t; i < columns; i++) dst[k * plane16 + i] = tail[k * w + i - t];
            }
        }
    }

    /// <summary>The four split input rows of a tile row, in a ring of slots starting at <see cref="First"/>.</summary>
    private readonly struct RowSet(float* even, float* odd, int padded, int first)
    {
        public float* Even(int r) => even + ((first + r) & 3) * padded;
        public float* Odd(int r) => odd + ((first + r) & 3) * padded;
        public int First => first;
    }

    /// <summary>V for 8 neighbouring tiles: row k of the result goes to dst + k * stride.</summary>
    private static void InputTile(in RowSet rows, int t, float* dst, long stride)
    {
        // Per input row r, d[r] = (odd[t], even[t], odd[t+1], even[t+1]) and e[r] = d[r] B.
        float* ev = rows.Even(0), od = rows.Odd(0);
        var d0 = Vector.Load(od + t); var d1 = Vector.Load(ev + t); var d2 = Vector.Load(od + t + 1); var d3 = Vector.Load(ev + t + 1);
        Vector<float> e00 = d0 - d2, e01 = d1 + d2, e02 = d2 - d1, e03 = d1 - d3;
        ev = rows.Even(1); od = rows.Odd(1);
        d0 = Vector.Load(od + t); d1 = Vector.Load(ev + t); d2 = Vector.Load(od + t + 1); d3 = Vector.Load(ev + t + 1);
        Vector<float> e10 = d0 - d2, e11 = d1 + d2, e12 = d2 - d1, e13 = d1 - d3;
        ev = rows.Even(2); od = rows.Odd(2);
        d0 = Vector.Load(od + t); d1 = Vector.Load(ev + t); d2 = Vector.Load(od + t + 1); d3 = Vector.Load(ev + t + 1);
        Vector<float> e20 = d0 - d2, e21 = d1 + d2, e22 = d2 - d1, e23 = d1 - d3;
        ev = rows.Even(3); od = rows.Odd(3);
        d0 = Vector.Load(od + t); d1 = Vector.Load(ev + t); d2 = Vector.Load(od + t + 1); d3 = Vector.Load(ev + t + 1);
        Vector<float> e30 = d0 - d2, e31 = d1 + d2, e32 = d2 - d1, e33 = d1 - d3;
        StoreV(e00 - e20, e01 - e21, e02 - e22, e03 - e23, e10 + e20, e11 + e21, e12 + e22, e13 + e23,
               e20 - e10, e21 - e11, e22 - e12, e23 - e13, e10 - e30, e11 - e31, e12 - e32, e13 - e33, dst, stride);
    }

    /// <summary>The 16 rows of a transform, row k at dst + k * stride.</summary>
    private static void StoreV(Vector<float> v0, Vector<float> v1, Vector<float> v2, Vector<float> v3, Vector<float> v4, Vector<float> v5, Vector<float> v6, Vector<float> v7,
        Vector<float> v8, Vector<float> v9, Vector<float> v10, Vector<float> v11, Vector<float> v12, Vector<float> v13, Vector<float> v14, Vector<float> v15, float* dst, long stride)
    {
        Vector.Store(v0, dst); Vector.Store(v1, dst + stride); Vector.Store(v2, dst + 2 * stride); Vector.Store(v3, dst + 3 * stride);
        Vector.Store(v4, dst + 4 * stride); Vector.Store(v5, dst + 5 * stride); Vector.Store(v6, dst + 6 * stride); Vector.Store(v7, dst + 7 * stride);
        Vector.Store(v8, dst + 8 * stride); Vector.Store(v9, dst + 9 * stride); Vector.Store(v10, dst + 10 * stride); Vector.Store(v11, dst + 11 * stride);
        Vector.Store(v12, dst + 12 * stride); Vector.Store(v13, dst + 13 * stride); Vector.Store(v14, dst + 14 * stride); Vector.Store(v15, dst + 15 * stride);
    }

    private static void AdjointRowOfM(Vector<float> q0, Vector<float> q1, float* to, int k, long stride)
    {
        Vector.Store(q0, to + k * stride);
        Vector.Store(q0 + q1, to + (k + 1) * stride);
        Vector.Store(q0 - q1, to + (k + 2) * stride);
        Vector.Store(-q1, to + (k + 3) * stride);
    }

    /// <summary>Splits input row <paramref name="row"/> into even columns (2t) and odd columns (2t - 1), zero outside the image.</summary>
    private static void SplitRow(float* plane, int row, int height, int width, float* even, float* odd, int count)
    {
        int padded = RoundUp(count);
        if ((uint)row >= (uint)height)
        {
            new Span<float>(even, padded).Clear();
            new Span<float>(odd, padded).Clear();
            return;
        }
        // Columns 2t + 1 go to odd[t + 1], so odd[t] holds column 2t - 1 and odd[0] the padding.
        odd[0] = 0f;
        Deinterleave(plane + (long)row * width, width, even, odd + 1, padded, padded - 1);
    }

    /// <summary>Splits a row into columns 2t (even) and 2t + 1 (odd), zero outside the image.</summary>
    private static void SplitRow(float* plane, int row, int height, int width, float* even, float* odd, int count, int shift)
    {
        int padded = RoundUp(count);
        if ((uint)row >= (uint)height)
        {
            new Span<float>(even, padded).Clear();
            new Span<float>(odd, padded).Clear();
            return;
        }
        Deinterleave(plane + (long)row * width, width, even, odd, padded, padded);
    }

    /// <summary>even[t] = src[2t], odd[t] = src[2t + 1] for 2t (+ 1) below width, zero after, up to the given lengths.</summary>
    private static void Deinterleave(float* src, int width, float* even, float* odd, int evenLength, int oddLength)
    {
        int t = 0;
        if (Avx2.IsSupported)
        {
            for (; 2 * t + 16 <= width; t += 8)
            {
                var a = Avx.LoadVector256(src + 2 * t);
                var b = Avx.LoadVector256(src + 2 * t + 8);
                // Within each 128-bit half: a0 a2 b0 b2 | a4 a6 b4 b6; then the 64-bit pairs in order.
                var e = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
                var o = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
                Avx.Store(even + t, e);
                Avx.Store(odd + t, o);
            }
        }
        int evenEnd = Math.Min(evenLength, (width + 1) / 2), oddEnd = Math.Min(oddLength, width / 2);
        for (int i = t; i < evenEnd; i++) even[i] = src[2 * i];
        for (int i = t; i < oddEnd; i++) odd[i] = src[2 * i + 1];
        if (evenEnd < evenLength) new Span<float>(even + Math.Max(t, evenEnd), evenLength - Math.Max(t, evenEnd)).Clear();
        if (oddEnd < oddLength) new Span<float>(odd + Math.Max(t, oddEnd), oddLength - Math.Max(t, oddEnd)).Clear();
    }

    /// <summary>Y (count, O, h, w) (+)= A^T M A for every tile of M (16, O, T).</summary>
    private static void OutputTransform(in WinogradPlan plan, float* m, float* y, int count, int channels, bool accumulate)
    {
        var job = new TransformJob { Source = m, Destination = y, Channels = channels, Height = plan.Height, Width = plan.Width, TileRows = plan.TileRows, TileColumns = plan.TileColumns, Count = count, Accumulate = accumulate };
        if (plan.TileColumns >= Vector<float>.Count) CpuParallel.For(count * channels, ThreadBudget.Current, job, &OutputRows);
        else CpuParallel.For(NarrowUnits(job), ThreadBudget.Current, job, &OutputNarrow);
    }

    /// <summary>One (image, channel) plane: per tile row, 16 rows of M to 2 output rows.</summary>
    private static void OutputRows(int unit, ref TransformJob s)
    {
        int o = unit % s.Channels, image = unit / s.Channels;
        int columns = s.TileColumns, w = Vector<float>.Count, padded = RoundUp(columns);
        // Output values per tile column: y[a][b][t] for the 2x2 block, a the row, b the column.
        float* block = stackalloc float[4 * padded];
        float* tail = stackalloc float[16 * w];
        for (int tileRow = 0; tileRow < s.TileRows; tileRow++) OutputRow(ref s, o, image, tileRow, block, tail);
    }

    private static void OutputRow(ref TransformJob s, int o, int image, int tileRow, float* block, float* tail)
    {
        int columns = s.TileColumns, w = Vector<float>.Count, padded = RoundUp(columns);
        long tiles = (long)s.Count * s.TileRows * columns, plane16 = (long)s.Channels * tiles;
        float* src = s.Source + (long)o * tiles + ((long)image * s.TileRows + tileRow) * columns;
        for (int t = 0; t < columns; t += w)
        {
            float* from = src + t;
            long stride = plane16;
            if (t + w > columns)
            {
                for (int k = 0; k < 16; k++)
                    for (int i = 0; i < w; i++) tail[k * w + i] = t + i < columns ? src[k * plane16 + t + i] : 0f;
                from = tail;
                stride = w;
            }
            // s_a = rows of A^T m (a = 0, 1); then y[a][b] = columns of s_a A.
            Vector<float> s00 = Vector.Load(from) + Vector.Load(from + 4 * stride) + Vector.Load(from + 8 * stride);
            Vector<float> s01 = Vector.Load(from + stride) + Vector.Load(from + 5 * stride) + Vector.Load(from + 9 * stride);
            Vector<float> s02 = Vector.Load(from + 2 * stride) + Vector.Load(from + 6 * stride) + Vector.Load(from + 10 * stride);
            Vector<float> s03 = Vector.Load(from + 3 * stride) + Vector.Load(from + 7 * stride) + Vector.Load(from + 11 * stride);
            Vector<float> s10 = Vector.Load(from + 4 * stride) - Vector.Load(from + 8 * stride) - Vector.Load(from + 12 * stride);
            Vector<float> s11 = Vector.Load(from + 5 * stride) - Vector.Load(from + 9 * stride) - Vector.Load(from + 13 * stride);
            Vector<float> s12 = Vector.Load(from + 6 * stride) - Vector.Load(from + 10 * stride) - Vector.Load(from + 14 * stride);
            Vector<float> s13 = Vector.Load(from + 7 * stride) - Vector.Load(from + 11 * stride) - Vector.Load(from + 15 * stride);
            Vector.Store(s00 + s01 + s02, block + t);
            Vector.Store(s01 - s02 - s03, block + padded + t);
            Vector.Store(s10 + s11 + s12, block + 2 * padded + t);
            Vector.Store(s11 - s12 - s13, block + 3 * padded + t);
        }
        float* plane = s.Destination + ((long)image * s.Channels + o) * s.Height * s.Width;
        for (int a = 0; a < 2; a++)
        {
            int row = 2 * tileRow + a;
            if (row >= s.Height) break;
            Interleave(block + (2 * a) * padded, block + (2 * a + 1) * padded, plane + (long)row * s.Width, s.Width, s.Accumulate);
        }
    }

    /// <summary>dM (16, O, T) = A dY_tile A^T for every 2x2 block of dY (zero outside the image): the adjoint of the output transform.</summary>
    private static void OutputTransformAdjoint(in WinogradPlan plan, float* dy, float* dm, int count, int channels)
    {
        var job = new TransformJob { Source = dy, Destination = dm, Channels = channels, Height = plan.Height, Width = plan.Width, TileRows = plan.TileRows, TileColumns = plan.TileColumns, Count = count };
        if (plan.TileColumns >= Vector<float>.Count) CpuParallel.For(count * channels, ThreadBudget.Current, job, &AdjointRows);
        else CpuParallel.For(NarrowUnits(job), ThreadBudget.Current, job, &AdjointNarrow);
    }

    private static void AdjointRows(int unit, ref TransformJob s)
    {
        int o = unit % s.Channels, image = unit / s.Channels;
        float* even = stackalloc float[2 * RoundUp(s.TileColumns + 1)];
        float* odd = stackalloc float[2 * RoundUp(s.TileColumns + 1)];
        float* tail = stackalloc float[16 * Vector<float>.Count];
        for (int tileRow = 0; tileRow < s.TileRows; tileRow++) AdjointRow(ref s, o, image, tileRow, even, odd, tail);
    }

    /// <summary>One tile row of the adjoint output transform: 2 rows of dY to 16 rows of dM.</summary>
    private static void AdjointRow(ref TransformJob s, int o, int image, int tileRow, float* even, float* odd, float* tail)
    {
        int columns = s.TileColumns, padded = RoundUp(columns + 1), w = Vector<float>.Count;
        float* plane = s.Source + ((long)image * s.Channels + o) * s.Height * s.Width;
        // even[a][t] = dy[2 tileRow + a][2t], odd[a][t] = dy[..][2t + 1].
        for (int a = 0; a < 2; a++) SplitRow(plane, 2 * tileRow + a, s.Height, s.Width, even + a * padded, odd + a * padded, columns + 1, shift: 0);
        long tiles = (long)s.Count * s.TileRows * columns, plane16 = (long)s.Channels * tiles;
        float* dst = s.Destination + (long)o * tiles + ((long)image * s.TileRows + tileRow) * columns;
        for (int t = 0; t < columns; t += w)
        {
            bool partial = t + w > columns;
            float* to = partial ? tail : dst + t;
            long stride = partial ? w : plane16;
            // q[i] = (A Ybar)[i] for the two columns b; then m[i][j] = (q A^T)[i][j].
            var y00 = Vector.Load(even + t); var y01 = Vector.Load(odd + t);
            var y10 = Vector.Load(even + padded + t); var y11 = Vector.Load(odd + padded + t);
            AdjointRowOfM(y00, y01, to, 0, stride);
            AdjointRowOfM(y00 + y10, y01 + y11, to, 4, stride);
            AdjointRowOfM(y00 - y10, y01 - y11, to, 8, stride);
            AdjointRowOfM(-y10, -y11, to, 12, stride);
            if (partial)
                for (int k = 0; k < 16; k++)
                    for (int i = t; i < columns; i++) dst[k * plane16 + i] = tail[k * w + i - t];
        }
    }

    /// <summary>row[2t] (+)= first[t], row[2t + 1] (+)= second[t], for the row's width.</summary>
    private static void Interleave(float* first, float* second, float* row, int width, bool accumulate)
    {
        int t = 0, pairs = width / 2;
        if (Avx.IsSupported)
        {
            for (; t + 8 <= pairs; t += 8)
            {
                var a = Avx.LoadVector256(first + t);
                var b = Avx.LoadVector256(second + t);
                var lo = Avx.UnpackLow(a, b);   // a0 b0 a1 b1 | a4 b4 a5 b5
                var hi = Avx.UnpackHigh(a, b);  // a2 b2 a3 b3 | a6 b6 a7 b7
                var v0 = Avx.Permute2x128(lo, hi, 0x20);
                var v1 = Avx.Permute2x128(lo, hi, 0x31);
                float* dst = row + 2 * t;
                if (accumulate)
                {
                    v0 = Avx.Add(v0, Avx.LoadVector256(dst));
                    v1 = Avx.Add(v1, Avx.LoadVector256(dst + 8));
                }
                Avx.Store(dst, v0);
                Avx.Store(dst + 8, v1);
            }
        }
        for (; t < pairs; t++)
        {
            if (accumulate) { row[2 * t] += first[t]; row[2 * t + 1] += second[t]; }
            else { row[2 * t] = first[t]; row[2 * t + 1] = second[t]; }
        }
        if ((width & 1) != 0)
        {
            if (accumulate) row[width - 1] += first[pairs]; else row[width - 1] = first[pairs];
        }
    }

    // ---- narrow images (fewer tile columns than SIMD lanes) ----
    // A channel's tiles are contiguous in V and M across images, so a unit takes one channel of a
    // block of images and puts 8 consecutive tiles (from several tile rows or images) in the lanes;
    // each lane's window is gathered (zero outside the image) and the arithmetic is vectorised.

    /// <summary>Images per narrow unit: enough for at least 64 tiles.</summary>
    private static int NarrowImages(in TransformJob s) => Math.Max(1, 64 / (s.TileRows * s.TileColumns));

    private static int NarrowUnits(in TransformJob s) => s.Channels * ((s.Count + NarrowImages(s) - 1) / NarrowImages(s));

    /// <summary>First and end tile (within the chunk) and the channel of a narrow unit.</summary>
    private static (long First, long End, int Channel) NarrowRange(int unit, in TransformJob s)
    {
        int c = unit % s.Channels, block = unit / s.Channels, perUnit = NarrowImages(s), tilesPerImage = s.TileRows * s.TileColumns;
        int firstImage = block * perUnit, endImage = Math.Min(s.Count, firstImage + perUnit);
        return ((long)firstImage * tilesPerImage, (long)endImage * tilesPerImage, c);
    }

    private static void InputNarrow(int unit, ref TransformJob s)
    {
        var (first, end, c) = NarrowRange(unit, s);
        int h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw, lanes = Vector<float>.Count;
        long tiles = (long)s.Count * perImage, plane16 = (long)s.Channels * tiles;
        float* dst = s.Destination + (long)c * tiles;
        float* window = stackalloc float[16 * lanes]; // window[(4 r + q) * lanes + lane]
        float* tail = stackalloc float[16 * lanes];
        for (long t0 = first; t0 < end; t0 += lanes)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                long t = t0 + lane;
                if (t >= end) { for (int k = 0; k < 16; k++) window[k * lanes + lane] = 0f; continue; }
                int image = (int)(t / perImage), rem = (int)(t % perImage), th = rem / tw, col = rem % tw;
                float* plane = s.Source + ((long)image * s.Channels + c) * h * w;
                for (int r = 0; r < 4; r++)
                {
                    int ir = 2 * th - 1 + r;
                    for (int q = 0; q < 4; q++)
                    {
                        int ic = 2 * col - 1 + q;
                        window[(4 * r + q) * lanes + lane] = (uint)ir < (uint)h && (uint)ic < (uint)w ? plane[(long)ir * w + ic] : 0f;
                    }
                }
            }
            bool partial = t0 + lanes > end;
            float* to = partial ? tail : dst + t0;
            long stride = partial ? lanes : plane16;
            // e[r] = d[r] B, then V = B^T e.
            Vector<float> e00, e01, e02, e03, e10, e11, e12, e13, e20, e21, e22, e23, e30, e31, e32, e33;
            RowTimesB(window, 0, lanes, out e00, out e01, out e02, out e03);
            RowTimesB(window, 1, lanes, out e10, out e11, out e12, out e13);
            RowTimesB(window, 2, lanes, out e20, out e21, out e22, out e23);
            RowTimesB(window, 3, lanes, out e30, out e31, out e32, out e33);
            StoreV(e00 - e20, e01 - e21, e02 - e22, e03 - e23, e10 + e20, e11 + e21, e12 + e22, e13 + e23,
                   e20 - e10, e21 - e11, e22 - e12, e23 - e13, e10 - e30, e11 - e31, e12 - e32, e13 - e33, to, stride);
            if (partial)
                for (int k = 0; k < 16; k++)
                    for (long t = t0; t < end; t++) dst[k * plane16 + t] = tail[k * lanes + (t - t0)];
        }
    }

    private static void RowTimesB(float* window, int r, int lanes, out Vector<float> e0, out Vector<float> e1, out Vector<float> e2, out Vector<float> e3)
    {
        var d0 = Vector.Load(window + (4 * r) * lanes); var d1 = Vector.Load(window + (4 * r + 1) * lanes);
        var d2 = Vector.Load(window + (4 * r + 2) * lanes); var d3 = Vector.Load(window + (4 * r + 3) * lanes);
        e0 = d0 - d2; e1 = d1 + d2; e2 = d2 - d1; e3 = d1 - d3;
    }

    private static void OutputNarrow(int unit, ref TransformJob s)
    {
        var (first, end, o) = NarrowRange(unit, s);
        int h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw, lanes = Vector<float>.Count;
        long tiles = (long)s.Count * perImage, plane16 = (long)s.Channels * tiles;
        float* src = s.Source + (long)o * tiles;
        float* tail = stackalloc float[16 * lanes];
        float* block = stackalloc float[4 * lanes]; // y[a][b] per lane
        for (long t0 = first; t0 < end; t0 += lanes)
        {
            float* from = src + t0;
            long stride = plane16;
            if (t0 + lanes > end)
            {
                for (int k = 0; k < 16; k++)
                    for (int i = 0; i < lanes; i++) tail[k * lanes + i] = t0 + i < end ? src[k * plane16 + t0 + i] : 0f;
                from = tail;
                stride = lanes;
            }
            OutputValues(from, stride, block, lanes);
            for (int lane = 0; lane < lanes && t0 + lane < end; lane++)
            {
                long t = t0 + lane;
                int image = (int)(t / perImage), rem = (int)(t % perImage), th = rem / tw, col = rem % tw;
                float* plane = s.Destination + ((long)image * s.Channels + o) * h * w;
                for (int a = 0; a < 2 && 2 * th + a < h; a++)
                    for (int b = 0; b < 2 && 2 * col + b < w; b++)
                    {
                        float* at = plane + (long)(2 * th + a) * w + 2 * col + b;
                        float value = block[(2 * a + b) * lanes + lane];
                        if (s.Accumulate) *at += value; else *at = value;
                    }
            }
        }
    }

    /// <summary>y[a][b] = (A^T m A)[a][b] for the lanes' tiles, from the 16 rows of M at from + k * stride, into block[(2a + b) * lanes].</summary>
    private static void OutputValues(float* from, long stride, float* block, int lanes)
    {
        Vector<float> s00 = Vector.Load(from) + Vector.Load(from + 4 * stride) + Vector.Load(from + 8 * stride);
        Vector<float> s01 = Vector.Load(from + stride) + Vector.Load(from + 5 * stride) + Vector.Load(from + 9 * stride);
        Vector<float> s02 = Vector.Load(from + 2 * stride) + Vector.Load(from + 6 * stride) + Vector.Load(from + 10 * stride);
        Vector<float> s03 = Vector.Load(from + 3 * stride) + Vector.Load(from + 7 * stride) + Vector.Load(from + 11 * stride);
        Vector<float> s10 = Vector.Load(from + 4 * stride) - Vector.Load(from + 8 * stride) - Vector.Load(from + 12 * stride);
        Vector<float> s11 = Vector.Load(from + 5 * stride) - Vector.Load(from + 9 * stride) - Vector.Load(from + 13 * stride);
        Vector<float> s12 = Vector.Load(from + 6 * stride) - Vector.Load(from + 10 * stride) - Vector.Load(from + 14 * stride);
        Vector<float> s13 = Vector.Load(from + 7 * stride) - Vector.Load(from + 11 * stride) - Vector.Load(from + 15 * stride);
        Vector.Store(s00 + s01 + s02, block);
        Vector.Store(s01 - s02 - s03, block + lanes);
        Vector.Store(s10 + s11 + s12, block + 2 * lanes);
        Vector.Store(s11 - s12 - s13, block + 3 * lanes);
    }

    private static void AdjointNarrow(int unit, ref TransformJob s)
    {
        var (first, end, o) = NarrowRange(unit, s);
        int h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw, lanes = Vector<float>.Count;
        long tiles = (long)s.Count * perImage, plane16 = (long)s.Channels * tiles;
        float* dst = s.Destination + (long)o * tiles;
        float* gathered = stackalloc float[4 * lanes]; // dy[a][b] per lane
        float* tail = stackalloc float[16 * lanes];
        for (long t0 = first; t0 < end; t0 += lanes)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                long t = t0 + lane;
                int image = (int)(Math.Min(t, end - 1) / perImage), rem = (int)(Math.Min(t, end - 1) % perImage), th = rem / tw, col = rem % tw;
                float* plane = s.Source + ((long)image * s.Channels + o) * h * w;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                    {
                        int row = 2 * th + a, column = 2 * col + b;
                        gathered[(2 * a + b) * lanes + lane] = t < end && row < h && column < w ? plane[(long)row * w + column] : 0f;
                    }
            }
            bool partial = t0 + lanes > end;
            float* to = partial ? tail : dst + t0;
            long stride = partial ? lanes : plane16;
            var y00 = Vector.Load(gathered); var y01 = Vector.Load(gathered + lanes);
            var y10 = Vector.Load(gathered + 2 * lanes); var y11 = Vector.Load(gathered + 3 * lanes);
            AdjointRowOfM(y00, y01, to, 0, stride);
            AdjointRowOfM(y00 + y10, y01 + y11, to, 4, stride);
            AdjointRowOfM(y00 - y10, y01 - y11, to, 8, stride);
            AdjointRowOfM(-y10, -y11, to, 12, stride);
            if (partial)
                for (int k = 0; k < 16; k++)
                    for (long t = t0; t < end; t++) dst[k * plane16 + t] = tail[k * lanes + (t - t0)];
        }
    }

    private static int RoundUp(int count) => (count + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count + Vector<float>.Count;

    /// <summary>A pooled host buffer for one kernel's working memory, returned when disposed.</summary>
    private ScratchRef ScratchBuffer(int length)
    {
        var storage = Allocate(length);
        return new ScratchRef(this, (CpuStorage)storage);
    }

    private readonly struct ScratchRef(CpuBackend owner, CpuStorage storage) : IDisposable
    {
        public float* Pointer => storage.Pointer;
        public void Dispose() => owner.Recycle(storage);
    }
}
