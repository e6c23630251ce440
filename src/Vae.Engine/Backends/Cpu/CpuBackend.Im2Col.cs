using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Vae.Engine.Diagnostics;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Im2Col(BufferRef images, int count, in ConvGeometry g, BufferRef columns, float padValue = 0f)
    {
        long started = StepProfiler.Start();
        var state = new Unfold(Ptr(images), Ptr(columns), g, padValue);
        // One output row of one image per unit: each writes its own rows of the matrix.
        CpuParallel.For(count * g.OutHeight, (long)count * g.ColumnSize >= 64 * 1024 ? ThreadBudget.Current : 1, state, &Unfold.ImageToRows);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    public void Col2Im(BufferRef columns, int count, in ConvGeometry g, BufferRef images)
    {
        long started = StepProfiler.Start();
        var state = new Unfold(Ptr(images), Ptr(columns), g, 0f);
        // Windows of neighbouring output rows overlap, so a unit takes a whole image.
        CpuParallel.For(count, (long)count * g.ColumnSize >= 64 * 1024 ? ThreadBudget.Current : 1, state, &Unfold.RowsToImage);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    /// <summary>
    /// The unfold and fold of the position-major column matrix: row (n, oh, ow) holds that output
    /// position's window, channel by channel and kernel row by kernel row. A window row is kw
    /// neighbouring pixels of one input row (without dilation), so it is copied as a block; only
    /// windows that hang over the border take the per-pixel path with padding.
    /// </summary>
    internal readonly struct Unfold
    {
        private readonly float* _images, _columns;
        private readonly int _channels, _height, _width, _kernelH, _kernelW, _strideH, _strideW, _padH, _padW, _dilationH, _dilationW;
        private readonly int _outH, _outW, _patch;
        private readonly float _pad;

        public Unfold(float* images, float* columns, in ConvGeometry g, float padValue)
        {
            _images = images; _columns = columns; _pad = padValue;
            _channels = g.Channels; _height = g.Height; _width = g.Width;
            _kernelH = g.KernelH; _kernelW = g.KernelW; _strideH = g.StrideH; _strideW = g.StrideW;
            _padH = g.PadH; _padW = g.PadW; _dilationH = g.DilationH; _dilationW = g.DilationW;
            _outH = g.OutHeight; _outW = g.OutWidth; _patch = g.Patch;
        }

        /// <summary>
        /// The output columns whose windows lie wholly inside the image horizontally: [first, last].
        /// Only the columns outside this range need the per-pixel path with padding.
        /// </summary>
        private readonly (int First, int Last) Interior()
        {
            int reach = _dilationW * (_kernelW - 1);
            int first = (_padW + _strideW - 1) / _strideW;
            int last = _width - 1 - reach + _padW < 0 ? -1 : (_width - 1 - reach + _padW) / _strideW;
            return (first, Math.Min(last, _outW - 1));
        }

        /// <summary>
        /// Writes the matrix rows of output row oh of image n, unit = n * outH + oh. Window row by
        /// window row ((channel, kernel row) outermost, output column innermost): which kernel rows
        /// fall outside the image and which columns' windows lie wholly inside it are known up front,
        /// so the inner loop is one vector copy per column with nothing to decide.
        /// </summary>
        public static void ImageToRows(int unit, ref Unfold s)
        {
            int n = unit / s._outH, oh = unit % s._outH;
            int h = s._height, w = s._width, kh = s._kernelH, kw = s._kernelW, sw = s._strideW, dw = s._dilationW, plane = h * w, patch = s._patch;
            float pad = s._pad;
            float* image = s._images + (long)n * s._channels * plane;
            float* rows = s._columns + ((long)n * s._outH * s._outW + (long)oh * s._outW) * patch;
            int top = oh * s._strideH - s._padH;
            var (first, last) = s.Interior();
            if (dw != 1) (first, last) = (s._outW, -1); // no block copies with dilation
            for (int c = 0; c < s._channels; c++)
            {
                float* channel = image + (long)c * plane;
                for (int ki = 0; ki < kh; ki++)
                {
                    float* dst = rows + (c * kh + ki) * kw;
                    int ih = top + ki * s._dilationH;
                    if ((uint)ih >= (uint)h)
                    {
                        for (int ow = 0; ow < s._outW; ow++) new Span<float>(dst + (long)ow * patch, kw).Fill(pad);
                        continue;
                    }
                    float* line = channel + (long)ih * w, src = line - s._padW;
                    for (int ow = 0; ow < Math.Min(first, s._outW); ow++) Edge(line, ow * sw - s._padW, w, kw, dw, pad, dst + (long)ow * patch);
                    // Windows of 4 (the conv VAE) and 3 (ResNet) are the common ones: one vector move, or three.
                    if (kw == 4)
                        for (int ow = first; ow <= last; ow++) Vector128.Store(Vector128.Load(src + ow * sw), dst + (long)ow * patch);
                    else if (kw == 3)
                        for (int ow = first; ow <= last; ow++)
                        {
                            float* from = src + ow * sw, to = dst + (long)ow * patch;
                            to[0] = from[0]; to[1] = from[1]; to[2] = from[2];
                        }
                    else if (kw == 1)
                        for (int ow = first; ow <= last; ow++) dst[(long)ow * patch] = src[ow * sw];
                    else
                        for (int ow = first; ow <= last; ow++) Unsafe.CopyBlockUnaligned(dst + (long)ow * patch, src + ow * sw, (uint)(kw * sizeof(float)));
                    for (int ow = Math.Max(first, last + 1); ow < s._outW; ow++) Edge(line, ow * sw - s._padW, w, kw, dw, pad, dst + (long)ow * patch);
                }
            }
        }

        /// <summary>One window row that hangs over the left or right border (or is dilated).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Edge(float* line, int left, int w, int kw, int dw, float pad, float* dst)
        {
            if (kw == 4 && dw == 1)
            {
                Vector128.Store(Vector128.Create(Pixel(line, left, w, pad), Pixel(line, left + 1, w, pad), Pixel(line, left + 2, w, pad), Pixel(line, left + 3, w, pad)), dst);
                return;
            }
            for (int kj = 0; kj < kw; kj++) dst[kj] = Pixel(line, left + kj * dw, w, pad);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Pixel(float* line, int iw, int w, float pad) => (uint)iw < (uint)w ? line[iw] : pad;

        /// <summary>Adds every matrix row of image n back into the pixels its window came from, reading the rows in order.</summary>
        public static void RowsToImage(int n, ref Unfold s)
        {
            int h = s._height, w = s._width, kh = s._kernelH, kw = s._kernelW, dh = s._dilationH, dw = s._dilationW, plane = h * w;
            float* image = s._images + (long)n * s._channels * plane;
            float* src = s._columns + (long)n * s._outH * s._outW * s._patch;
            var (first, last) = s.Interior();
            for (int oh = 0; oh < s._outH; oh++)
            {
                int top = oh * s._strideH - s._padH;
                for (int ow = 0; ow < s._outW; ow++)
                {
                    int left = ow * s._strideW - s._padW;
                    bool inside = ow >= first && ow <= last && dw == 1;
                    for (int c = 0; c < s._channels; c++)
                    {
                        float* channel = image + (long)c * plane;
                        for (int ki = 0; ki < kh; ki++, src += kw)
                        {
                            int ih = top + ki * dh;
                            if ((uint)ih >= (uint)h) continue;
                            float* line = channel + (long)ih * w;
                            if (inside)
                            {
                                float* dst = line + left;
                                if (kw == 4) Vector128.Store(Vector128.Load(dst) + Vector128.Load(src), dst);
                                else for (int kj = 0; kj < kw; kj++) dst[kj] += src[kj];
                                continue;
                            }
                            for (int kj = 0; kj < kw; kj++)
                            {
                                int iw = left + kj * dw;
                                if ((uint)iw < (uint)w) line[iw] += src[kj];
                            }
                        }
                    }
                }
            }
        }
    }
}
