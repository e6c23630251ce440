using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// 3x3 convolutions with stride 1 and padding 1 by Winograd's F(4x4, 3x3) (Lavin and Gray 2015,
/// interpolation points 0, 1, -1, 2, -2): each 4x4 block of outputs comes from a 6x6 window of
/// inputs through 36 elementwise products, where direct convolution needs 144, so the 36 GEMMs
/// M_k = U_k V_k do 4 times fewer multiply-adds than im2col. The data transforms move 2.25 values
/// per pixel (F(2x2, 3x3) moves 4), which matters as much on a memory-bound CPU. Used for layers
/// with many channels, where the GEMMs dominate; the round-off of its larger transform constants
/// stays far below what float32 training notices.
/// </summary>
/// <remarks>
/// Every transform works on groups of 8 neighbouring tiles (a tile row of a wide image, or several
/// tile rows and images of a narrow one): the group's windows are gathered into a small scratch
/// (36 values per lane), transformed with vector arithmetic, and stored as 36 contiguous runs.
/// Tile t = (image, tile row, tile column); U (36, O, C), V (36, C, T), M (36, O, T).
/// </remarks>

public sealed unsafe partial class CpuBackend
{
    private const int Tile4 = 4, Window4 = 6, Points4 = 36;

    private void Conv3x3Forward4(float* x, float* weight, float* y, int n, int inC, int outC, int h, int w)
    {
        var plan = new WinogradPlan(n, inC, outC, h, w, Tile4);
        using var u = ScratchBuffer(Points4 * outC * inC);
        FilterTransform4(weight, u.Pointer, outC, inC, flip: false);
        RunForward4(plan, x, u.Pointer, y, inC, outC, accumulate: false);
    }

    private void Conv3x3Backward4(float* x, float* weight, float* dy, int n, int inC, int outC, int h, int w, float* dx, float* dWeight)
    {
        var plan = new WinogradPlan(n, inC, outC, h, w, Tile4);
        if (dx != null)
        {
            using var flipped = ScratchBuffer(Points4 * inC * outC);
            FilterTransform4(weight, flipped.Pointer, outC, inC, flip: true);
            RunForward4(plan, dy, flipped.Pointer, dx, outC, inC, accumulate: true);
        }
        if (dWeight == null) return;
        using var du = ScratchBuffer(Points4 * outC * inC);
        int chunk = plan.ChunkImages;
        using var v = ScratchBuffer(Points4 * inC * chunk * plan.TilesPerImage);
        using var dm = ScratchBuffer(Points4 * outC * chunk * plan.TilesPerImage);
        for (int first = 0; first < n; first += chunk)
        {
            int count = Math.Min(chunk, n - first), tiles = count * plan.TilesPerImage;
            Transform4(plan, x + (long)first * inC * h * w, v.Pointer, count, inC, Direction.Input, accumulate: false);
            Transform4(plan, dy + (long)first * outC * h * w, dm.Pointer, count, outC, Direction.OutputAdjoint, accumulate: false);
            // dU_k (O, C) += dM_k (O, T) @ V_k^T (T, C)
            Cpu.Gemm.Batched(false, true, outC, inC, tiles, dm.Pointer, tiles, (long)outC * tiles, v.Pointer, tiles, (long)inC * tiles,
                first == 0 ? 0f : 1f, du.Pointer, inC, (long)outC * inC, Points4, ThreadBudget.Current);
        }
        FilterTransformAdjoint4(du.Pointer, dWeight, outC, inC);
    }

    private void RunForward4(in WinogradPlan plan, float* x, float* u, float* y, int inC, int outC, bool accumulate)
    {
        int chunk = plan.ChunkImages;
        using var v = ScratchBuffer(Points4 * inC * chunk * plan.TilesPerImage);
        using var m = ScratchBuffer(Points4 * outC * chunk * plan.TilesPerImage);
        for (int first = 0; first < plan.Images; first += chunk)
        {
            int count = Math.Min(chunk, plan.Images - first), tiles = count * plan.TilesPerImage;
            Transform4(plan, x + (long)first * inC * plan.Height * plan.Width, v.Pointer, count, inC, Direction.Input, accumulate: false);
            Cpu.Gemm.Batched(false, false, outC, tiles, inC, u, inC, (long)outC * inC, v.Pointer, tiles, (long)inC * tiles,
                0f, m.Pointer, tiles, (long)outC * tiles, Points4, ThreadBudget.Current);
            Transform4(plan, y + (long)first * outC * plan.Height * plan.Width, m.Pointer, count, outC, Direction.Output, accumulate);
        }
    }

    private enum Direction { Input, Output, OutputAdjoint }

    private struct Job4
    {
        public float* Images, Matrix;
        public int Channels, Height, Width, TileRows, TileColumns, Count, ImagesPerUnit;
        public Direction Direction;
        public bool Accumulate;
    }

    /// <summary>
    /// One of the three data transforms between images (count, channels, h, w) and a transformed
    /// matrix (36, channels, T): Input and OutputAdjoint write the matrix from images, Output
    /// writes (or adds into) images from the matrix. A unit is one channel of a block of images.
    /// </summary>
    private static void Transform4(in WinogradPlan plan, float* images, float* matrix, int count, int channels, Direction direction, bool accumulate)
    {
        int imagesPerUnit = Math.Max(1, 256 / plan.TilesPerImage);
        var job = new Job4
        {
            Images = images, Matrix = matrix, Channels = channels, Height = plan.Height, Width = plan.Width,
            TileRows = plan.TileRows, TileColumns = plan.TileColumns, Count = count, ImagesPerUnit = imagesPerUnit,
            Direction = direction, Accumulate = accumulate,
        };
        int units = channels * ((count + imagesPerUnit - 1) / imagesPerUnit);
        CpuParallel.For(units, ThreadBudget.Current, job, &TransformUnit4);
    }

    private static void TransformUnit4(int unit, ref Job4 s)
    {
        int lanes = Vector<float>.Count, c = unit % s.Channels, block = unit / s.Channels;
        int perImage = s.TileRows * s.TileColumns, firstImage = block * s.ImagesPerUnit;
        long first = (long)firstImage * perImage, end = (long)Math.Min(s.Count, firstImage + s.ImagesPerUnit) * perImage;
        long tiles = (long)s.Count * perImage, plane36 = (long)s.Channels * tiles;
        float* row = s.Matrix + (long)c * tiles;
        float* window = stackalloc float[Points4 * lanes];
        float* tail = stackalloc float[Points4 * lanes];
        for (long t0 = first; t0 < end; t0 += lanes)
        {
            int valid = (int)Math.Min(lanes, end - t0);
            bool partial = valid < lanes;
            if (s.Direction == Direction.Output)
            {
                float* from = row + t0;
                long stride = plane36;
                if (partial)
                {
                    for (int k = 0; k < Points4; k++)
                        for (int i = 0; i < lanes; i++) tail[k * lanes + i] = i < valid ? from[k * plane36 + i] : 0f;
                    from = tail;
                    stride = lanes;
                }
                OutputValues4(from, stride, window, lanes);
                Scatter(ref s, c, t0, valid, window);
                continue;
            }
            if (s.Direction == Direction.Input) GatherWindows(ref s, c, t0, valid, window);
            else GatherBlocks(ref s, c, t0, valid, window);
            float* to = partial ? tail : row + t0;
            long step = partial ? lanes : plane36;
            if (s.Direction == Direction.Input) InputValues4(window, to, step, lanes);
            else AdjointValues4(window, to, step, lanes);
            if (partial)
                for (int k = 0; k < Points4; k++)
                    for (int i = 0; i < valid; i++) row[k * plane36 + t0 + i] = tail[k * lanes + i];
        }
    }

    /// <summary>window[(6 r + q) * lanes + lane] = the 6x6 input window of tile t0 + lane (zero outside the image).</summary>
    private static void GatherWindows(ref Job4 s, int c, long t0, int valid, float* window)
    {
        int lanes = Vector<float>.Count, h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw;
        for (int lane = 0; lane < lanes; lane++)
        {
            if (lane >= valid)
            {
                for (int k = 0; k < Points4; k++) window[k * lanes + lane] = 0f;
                continue;
            }
            long t = t0 + lane;
            int image = (int)(t / perImage), rem = (int)(t % perImage), top = 4 * (rem / tw) - 1, left = 4 * (rem % tw) - 1;
            float* plane = s.Images + ((long)image * s.Channels + c) * h * w;
            bool inside = top >= 0 && top + Window4 <= h && left >= 0 && left + Window4 <= w;
            for (int r = 0; r < Window4; r++)
            {
                int ir = top + r;
                float* src = plane + (long)ir * w + left;
                float* dst = window + Window4 * r * lanes + lane;
                if (inside)
                {
                    dst[0] = src[0]; dst[lanes] = src[1]; dst[2 * lanes] = src[2];
                    dst[3 * lanes] = src[3]; dst[4 * lanes] = src[4]; dst[5 * lanes] = src[5];
                    continue;
                }
                bool rowInside = (uint)ir < (uint)h;
                for (int q = 0; q < Window4; q++)
                    dst[q * lanes] = rowInside && (uint)(left + q) < (uint)w ? src[q] : 0f;
            }
        }
    }

    /// <summary>window[(4 a + b) * lanes + lane] = the 4x4 block of dY tile t0 + lane covers (zero outside the image).</summary>
    private static void GatherBlocks(ref Job4 s, int c, long t0, int valid, float* window)
    {
        int lanes = Vector<float>.Count, h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw;
        for (int lane = 0; lane < lanes; lane++)
        {
            long t = t0 + lane;
            int image = (int)(Math.Min(t, t0 + valid - 1) / perImage), rem = (int)(Math.Min(t, t0 + valid - 1) % perImage);
            int top = 4 * (rem / tw), left = 4 * (rem % tw);
            float* plane = s.Images + ((long)image * s.Channels + c) * h * w;
            for (int a = 0; a < Tile4; a++)
                for (int b = 0; b < Tile4; b++)
                    window[(4 * a + b) * lanes + lane] = lane < valid && top + a < h && left + b < w ? plane[(long)(top + a) * w + left + b] : 0f;
        }
    }

    /// <summary>images (+)= the 4x4 output blocks in window[(4 a + b) * lanes + lane], clipped to the image.</summary>
    private static void Scatter(ref Job4 s, int c, long t0, int valid, float* window)
    {
        int lanes = Vector<float>.Count, h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw;
        for (int lane = 0; lane < valid; lane++)
        {
            long t = t0 + lane;
            int image = (int)(t / perImage), rem = (int)(t % perImage), top = 4 * (rem / tw), left = 4 * (rem % tw);
            float* plane = s.Images + ((long)image * s.Channels + c) * h * w;
            int rows = Math.Min(Tile4, h - top), columns = Math.Min(Tile4, w - left);
            for (int a = 0; a < rows; a++)
            {
                float* dst = plane + (long)(top + a) * w + left;
                float* src = window + 4 * a * lanes + lane;
                if (s.Accumulate) for (int b = 0; b < columns; b++) dst[b] += src[b * lanes];
                else for (int b = 0; b < columns; b++) dst[b] = src[b * lanes];
            }
        }
    }

    /// <summary>V = B^T d B for 8 windows d (36 vectors at window + k * lanes), row k of V to dst + k * stride.</summary>
    private static void InputValues4(float* window, float* dst, long stride, int lanes)
    {
        // e = d B, row by row (in place), then V = B^T e, column by column.
        for (int r = 0; r < Window4; r++) BTransposeTimes(window + Window4 * r * lanes, lanes, window + Window4 * r * lanes, lanes);
        for (int j = 0; j < Window4; j++) BTransposeTimes(window + j * lanes, Window4 * lanes, dst + j * stride, Window4 * stride);
    }

    /// <summary>
    /// out[i] = (B^T d)[i] for a 6-vector d of lanes at src + i * srcStep, written to dst + i * dstStep
    /// (in place is fine: every input is read before any output is written).
    /// </summary>
    private static void BTransposeTimes(float* src, long srcStep, float* dst, long dstStep)
    {
        var d0 = Vector.Load(src); var d1 = Vector.Load(src + srcStep); var d2 = Vector.Load(src + 2 * srcStep);
        var d3 = Vector.Load(src + 3 * srcStep); var d4 = Vector.Load(src + 4 * srcStep); var d5 = Vector.Load(src + 5 * srcStep);
        Vector<float> four = new(4f), five = new(5f), two = new(2f);
        Vector.Store(four * d0 - five * d2 + d4, dst);
        Vector.Store(d3 + d4 - four * (d1 + d2), dst + dstStep);
        Vector.Store(four * (d1 - d2) - d3 + d4, dst + 2 * dstStep);
        Vector.Store(two * (d3 - d1) - d2 + d4, dst + 3 * dstStep);
        Vector.Store(two * (d1 - d3) - d2 + d4, dst + 4 * dstStep);
        Vector.Store(four * d1 - five * d3 + d5, dst + 5 * dstStep);
    }

    /// <summary>Y = A^T m A for 8 tiles, m row k at from + k * stride; Y[a][b] to block + (4 a + b) * lanes.</summary>
    private static void OutputValues4(float* from, long stride, float* block, int lanes)
    {
        // s = A^T m (4 rows of 6), then Y = s A.
        float* rows = stackalloc float[24 * Vector<float>.Count];
        for (int j = 0; j < Window4; j++) ATransposeTimes(from + j * stride, Window4 * stride, rows + j * lanes, Window4 * lanes);
        for (int a = 0; a < Tile4; a++) ATransposeTimes(rows + Window4 * a * lanes, lanes, block + 4 * a * lanes, lanes);
    }

    /// <summary>out[a] = (A^T m)[a] for a 6-vector m at src + i * srcStep, written to dst + a * dstStep.</summary>
    private static void ATransposeTimes(float* src, long srcStep, float* dst, long dstStep)
    {
        var m0 = Vector.Load(src); var m1 = Vector.Load(src + srcStep); var m2 = Vector.Load(src + 2 * srcStep);
        var m3 = Vector.Load(src + 3 * srcStep); var m4 = Vector.Load(src + 4 * srcStep); var m5 = Vector.Load(src + 5 * srcStep);
        Vector<float> plus12 = m1 + m2, minus12 = m1 - m2, plus34 = m3 + m4, minus34 = m3 - m4;
        Vector.Store(m0 + plus12 + plus34, dst);
        Vector.Store(minus12 + new Vector<float>(2f) * minus34, dst + dstStep);
        Vector.Store(plus12 + new Vector<float>(4f) * plus34, dst + 2 * dstStep);
        Vector.Store(minus12 + new Vector<float>(8f) * minus34 + m5, dst + 3 * dstStep);
    }

    /// <summary>dM = A dY A^T for 8 tiles' 4x4 blocks (window + (4 a + b) * lanes); row k of dM to dst + k * stride.</summary>
    private static void AdjointValues4(float* window, float* dst, long stride, int lanes)
    {
        // q = A dY (6 rows of 4), then dM = q A^T (6 columns).
        float* rows = stackalloc float[24 * Vector<float>.Count];
        for (int b = 0; b < Tile4; b++) ATimes(window + b * lanes, 4 * lanes, rows + b * lanes, 4 * lanes);
        for (int i = 0; i < Window4; i++) ATimes(rows + 4 * i * lanes, lanes, dst + Window4 * i * stride, stride);
    }

    /// <summary>out[i] = (A y)[i] for a 4-vector y at src + a * srcStep, written to dst + i * dstStep (6 values).</summary>
    private static void ATimes(float* src, long srcStep, float* dst, long dstStep)
    {
        var y0 = Vector.Load(src); var y1 = Vector.Load(src + srcStep); var y2 = Vector.Load(src + 2 * srcStep); var y3 = Vector.Load(src + 3 * srcStep);
        Vector<float> even = y0 + y2, odd = y1 + y3, two = new(2f), four = new(4f), eight = new(8f);
        Vector.Store(y0, dst);
        Vector.Store(even + odd, dst + dstStep);
        Vector.Store(even - odd, dst + 2 * dstStep);
        var quad = y0 + four * y2;
        var oct = two * y1 + eight * y3;
        Vector.Store(quad + oct, dst + 3 * dstStep);
        Vector.Store(quad - oct, dst + 4 * dstStep);
        Vector.Store(y3, dst + 5 * dstStep);
    }

    /// <summary>
    /// U[k, o, c] = (G g G^T)[k] for g = W[o, c] (or, flipped, U[k, c, o] for W[o, c] rotated 180
    /// degrees), filters split over the thread budget.
    /// </summary>
    private static void FilterTransform4(float* weight, float* u, int outC, int inC, bool flip)
    {
        var job = new FilterJob { Weight = weight, U = u, Out = outC, In = inC, Flip = flip };
        CpuParallel.For(outC, outC * inC >= 4096 ? ThreadBudget.Current : 1, job, &FilterJob.Forward);
    }

    /// <summary>dW[o, c] += G^T dU[., o, c] G, the adjoint of <see cref="FilterTransform4"/>.</summary>
    private static void FilterTransformAdjoint4(float* du, float* dWeight, int outC, int inC)
    {
        var job = new FilterJob { Weight = dWeight, U = du, Out = outC, In = inC };
        CpuParallel.For(outC, outC * inC >= 4096 ? ThreadBudget.Current : 1, job, &FilterJob.Adjoint);
    }

    private struct FilterJob
    {
        public float* Weight, U;
        public int Out, In;
        public bool Flip;

        public static void Forward(int o, ref FilterJob s)
        {
            long plane = (long)s.Out * s.In;
            float* t = stackalloc float[18];
            float* row = stackalloc float[6];
            for (int c = 0; c < s.In; c++)
            {
                float* g = s.Weight + ((long)o * s.In + c) * 9;
                long at = s.Flip ? (long)c * s.Out + o : (long)o * s.In + c;
                // t = G g (6x3) column by column, then U = t G^T row by row.
                for (int j = 0; j < 3; j++)
                {
                    float g0 = s.Flip ? g[8 - j] : g[j], g1 = s.Flip ? g[5 - j] : g[3 + j], g2 = s.Flip ? g[2 - j] : g[6 + j];
                    GTimes(g0, g1, g2, t + j, 3);
                }
                for (int i = 0; i < 6; i++)
                {
                    GTimes(t[3 * i], t[3 * i + 1], t[3 * i + 2], row, 1);
                    for (int j = 0; j < 6; j++) s.U[(6 * i + j) * plane + at] = row[j];
                }
            }
        }

        public static void Adjoint(int o, ref FilterJob s)
        {
            long plane = (long)s.Out * s.In;
            float* r = stackalloc float[18];
            float* column = stackalloc float[3];
            for (int c = 0; c < s.In; c++)
            {
                long at = (long)o * s.In + c;
                float* du = s.U + at;
                // r = G^T dU (3x6) column by column; then dg = r G (3x3) row by row.
                for (int j = 0; j < 6; j++)
                {
                    GTransposeTimes(du[j * plane], du[(6 + j) * plane], du[(12 + j) * plane], du[(18 + j) * plane], du[(24 + j) * plane], du[(30 + j) * plane], column);
                    r[j] = column[0]; r[6 + j] = column[1]; r[12 + j] = column[2];
                }
                float* dst = s.Weight + at * 9;
                for (int k = 0; k < 3; k++)
                {
                    GTransposeTimes(r[6 * k], r[6 * k + 1], r[6 * k + 2], r[6 * k + 3], r[6 * k + 4], r[6 * k + 5], column);
                    dst[3 * k] += column[0]; dst[3 * k + 1] += column[1]; dst[3 * k + 2] += column[2];
                }
            }
        }
    }

    /// <summary>output[i * step] = (G (g0, g1, g2))[i], i = 0..5.</summary>
    private static void GTimes(float g0, float g1, float g2, float* output, int step)
    {
        const float Sixth = 1f / 6, Twelfth = 1f / 12, TwentyFourth = 1f / 24;
        output[0] = 0.25f * g0;
        output[step] = -Sixth * (g0 + g1 + g2);
        output[2 * step] = -Sixth * (g0 - g1 + g2);
        output[3 * step] = TwentyFourth * g0 + Twelfth * g1 + Sixth * g2;
        output[4 * step] = TwentyFourth * g0 - Twelfth * g1 + Sixth * g2;
        output[5 * step] = g2;
    }

    /// <summary>(G^T u) for a 6-vector u: 3 values.</summary>
    private static void GTransposeTimes(float u0, float u1, float u2, float u3, float u4, float u5, float* output)
    {
        const float Sixth = 1f / 6, Twelfth = 1f / 12, TwentyFourth = 1f / 24;
        output[0] = 0.25f * u0 - Sixth * (u1 + u2) + TwentyFourth * (u3 + u4);
        output[1] = Sixth * (u2 - u1) + Twelfth * (u3 - u4);
        output[2] = Sixth * (u3 + u4 - u1 - u2) + u5;
    }
}
