using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The column matrix of a few images laid out patch-major: one row per tap (channel, kernel row,
/// kernel column), holding that tap's input at every output position of the images in turn. A
/// product reads that layout in place as its right operand, where the position-major layout
/// (<see cref="CpuBackend.Unfold"/>) has to be packed first.
/// </summary>
/// <remarks>
/// An output row of a tap is the input row read every stride-th pixel. With AVX-512, one or two
/// masked loads take the row (the mask stands in for the padding, so nothing is read outside the
/// image) and one permute picks every stride-th lane: an output row of up to 16 positions is a
/// handful of instructions, against a copy per window for the position-major matrix. The fold
/// goes the other way a whole image row at a time: every tap that lands on the row is spread back
/// to its pixels by a permute and summed in registers, so each pixel is written once.
/// </remarks>
internal static unsafe class PatchMajorColumns
{
    private const int Lanes = 16;

    /// <summary>
    /// True when this machine and <paramref name="g"/> suit the layout: AVX-512, no dilation,
    /// output rows of at most 16 positions and image rows of at most 32 pixels (one or two registers).
    /// </summary>
    public static bool Fits(in ConvGeometry g)
        => Avx512F.IsSupported && g.DilationH == 1 && g.DilationW == 1
           && g.OutWidth <= Lanes && g.Width <= 2 * Lanes && g.StrideW * (g.OutWidth - 1) < 2 * Lanes && g.KernelW <= Lanes;

    /// <summary>
    /// columns (g.Patch, ld): column image * g.Positions + oh * g.OutWidth + ow of row (c, ki, kj)
    /// is the input pixel that tap reads for that output position, zero in the padding.
    /// </summary>
    public static void Unfold(float* images, int count, in ConvGeometry g, float* columns, int ld)
    {
        int h = g.Height, w = g.Width, kh = g.KernelH, kw = g.KernelW, sh = g.StrideH, ph = g.PadH, pw = g.PadW;
        int outH = g.OutHeight, outW = g.OutWidth, positions = g.Positions, plane = h * w, image = g.ImageSize;
        var everyStride = StrideIndex(g.StrideW);
        var outputs = LowLanes(outW);
        bool upper = g.StrideW * (outW - 1) >= Lanes, narrow = outW <= Lanes / 2;
        float* last = columns + (long)(g.Patch - 1) * ld + (long)(count - 1) * positions + (outH - 1) * outW;
        for (int c = 0; c < g.Channels; c++)
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++)
                {
                    // Lane j of the two loads is input column kj - pw + j; lanes outside the row read as zero.
                    int left = kj - pw;
                    var low = RowLanes(left, w, 0);
                    var high = RowLanes(left, w, Lanes);
                    float* row = columns + (long)((c * kh + ki) * kw + kj) * ld;
                    for (int n = 0; n < count; n++)
                    {
                        float* channel = images + (long)n * image + (long)c * plane;
                        float* dst = row + (long)n * positions;
                        for (int oh = 0; oh < outH; oh++, dst += outW)
                        {
                            int ih = oh * sh + ki - ph;
                            var v = Vector512<float>.Zero;
                            if ((uint)ih < (uint)h)
                            {
                                float* src = channel + (long)ih * w + left;
                                var lo = Avx512F.MaskLoad(src, low, Vector512<float>.Zero);
                                var hi = upper ? Avx512F.MaskLoad(src + Lanes, high, Vector512<float>.Zero) : Vector512<float>.Zero;
                                v = Avx512F.PermuteVar16x32x2(lo, everyStride, hi);
                            }
                            // A whole register is stored (a masked store costs several times more): the lanes
                            // past this output row land where the next row goes and are overwritten by it.
                            // Only the matrix's very last row is stored masked, so nothing past it is touched.
                            if (dst == last) Avx512F.MaskStore(dst, outputs, v);
                            else if (narrow) v.GetLower().Store(dst);
                            else v.Store(dst);
                        }
                    }
                }
    }

    /// <summary>
    /// The adjoint of <see cref="Unfold"/>: every entry of columns (g.Patch, ld) goes back to the input
    /// pixel it was read from; images (count, C, H, W) receive the sums, added to what they hold when
    /// <paramref name="accumulate"/>, in place of it otherwise.
    /// </summary>
    public static void Fold(float* columns, int ld, int count, in ConvGeometry g, float* images, bool accumulate)
    {
        int h = g.Height, w = g.Width, kh = g.KernelH, kw = g.KernelW, sh = g.StrideH, ph = g.PadH;
        int outH = g.OutHeight, outW = g.OutWidth, positions = g.Positions, plane = h * w, image = g.ImageSize;
        // Per kernel column, the permutes that put output lane ow on image column ow * stride + kj - pw.
        var spread = stackalloc Vector512<int>[2 * kw];
        for (int kj = 0; kj < kw; kj++)
        {
            spread[2 * kj] = SpreadIndex(g.StrideW, kj - g.PadW, outW, 0);
            spread[2 * kj + 1] = SpreadIndex(g.StrideW, kj - g.PadW, outW, Lanes);
        }
        var outputs = LowLanes(outW);
        var lowPixels = LowLanes(Math.Min(w, Lanes));
        var highPixels = LowLanes(Math.Max(0, w - Lanes));
        bool upper = w > Lanes;
        for (int n = 0; n < count; n++)
            for (int c = 0; c < g.Channels; c++)
            {
                float* channel = images + (long)n * image + (long)c * plane;
                float* taps = columns + (long)c * kh * kw * ld + (long)n * positions;
                for (int ih = 0; ih < h; ih++)
                {
                    var lo = Vector512<float>.Zero;
                    var hi = Vector512<float>.Zero;
                    for (int ki = 0; ki < kh; ki++)
                    {
                        int t = ih + ph - ki;
                        if (t < 0 || t % sh != 0 || t / sh >= outH) continue;
                        float* src = taps + (long)ki * kw * ld + (t / sh) * outW;
                        for (int kj = 0; kj < kw; kj++, src += ld)
                        {
                            var v = Avx512F.MaskLoad(src, outputs, Vector512<float>.Zero);
                            lo += Avx512F.PermuteVar16x32x2(v, spread[2 * kj], Vector512<float>.Zero);
                            if (upper) hi += Avx512F.PermuteVar16x32x2(v, spread[2 * kj + 1], Vector512<float>.Zero);
                        }
                    }
                    float* dst = channel + (long)ih * w;
                    Put(dst, lowPixels, lo, accumulate);
                    if (upper) Put(dst + Lanes, highPixels, hi, accumulate);
                }
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* dst, Vector512<float> mask, Vector512<float> sums, bool accumulate)
    {
        if (accumulate) sums += Avx512F.MaskLoad(dst, mask, Vector512<float>.Zero);
        Avx512F.MaskStore(dst, mask, sums);
    }

    private static Vector512<int> Iota => Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>Lane l takes lane l * stride of the pair of registers (the first holds lanes 0-15).</summary>
    private static Vector512<int> StrideIndex(int stride) => Vector512.Min(Iota * stride, Vector512.Create(2 * Lanes - 1));

    /// <summary>
    /// For image columns first..first+15: lane p takes output lane ow where ow * stride + offset = first + p,
    /// and lane 16 of the second register (zero) where no output lands.
    /// </summary>
    private static Vector512<int> SpreadIndex(int stride, int offset, int outW, int first)
    {
        var lanes = stackalloc int[Lanes];
        for (int p = 0; p < Lanes; p++)
        {
            int q = first + p - offset;
            lanes[p] = q >= 0 && q % stride == 0 && q / stride < outW ? q / stride : Lanes;
        }
        return Vector512.Load(lanes);
    }

    /// <summary>The lanes j of a load starting at image column left + start whose column lies in [0, width).</summary>
    private static Vector512<float> RowLanes(int left, int width, int start)
    {
        var column = Iota + Vector512.Create(left + start);
        return (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, Vector512.Create(width))).AsSingle();
    }

    private static Vector512<float> LowLanes(int count) => Vector512.LessThan(Iota, Vector512.Create(count)).AsSingle();
}
