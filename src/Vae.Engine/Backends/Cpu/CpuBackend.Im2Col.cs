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

        /// <summary>Writes the matrix rows of output row oh of image n, unit = n * outH + oh.</summary>
        public static void ImageToRows(int unit, ref Unfold s)
        {
            int n = unit / s._outH, oh = unit % s._outH;
            int h = s._height, w = s._width, kh = s._kernelH, kw = s._kernelW, dw = s._dilationW, plane = h * w;
            float pad = s._pad;
            float* image = s._images + (long)n * s._channels * plane;
            float* dst = s._columns + ((long)n * s._outH * s._outW + (long)oh * s._outW) * s._patch;
            int top = oh * s._strideH - s._padH;
            for (int ow = 0; ow < s._outW; ow++)
            {
                int left = ow * s._strideW - s._padW;
                bool inside = left >= 0 && left + dw * (kw - 1) < w;
                for (int c = 0; c < s._channels; c++)
                {
                    float* channel = image + (long)c * plane;
                    for (int ki = 0; ki < kh; ki++, dst += kw)
                    {
                        int ih = top + ki * s._dilationH;
                        if ((uint)ih >= (uint)h)
                        {
                            for (int kj = 0; kj < kw; kj++) dst[kj] = pad;
                            continue;
                        }
                        float* src = channel + (long)ih * w + left;
                        if (inside && dw == 1)
                        {
                            // Windows of 4 (the conv VAE) and 3 (ResNet) are the common ones: one vector move, or three.
                            if (kw == 4) Vector128.Store(Vector128.Load(src), dst);
                            else if (kw == 3) { dst[0] = src[0]; dst[1] = src[1]; dst[2] = src[2]; }
                            else Unsafe.CopyBlockUnaligned(dst, src, (uint)(kw * sizeof(float)));
                        }
                        else
                            for (int kj = 0; kj < kw; kj++)
                            {
                                int iw = left + kj * dw;
                                dst[kj] = (uint)iw < (uint)w ? src[kj * dw] : pad;
                            }
                    }
                }
            }
        }

        /// <summary>Adds every matrix row of image n back into the pixels its window came from.</summary>
        public static void RowsToImage(int n, ref Unfold s)
        {
            int h = s._height, w = s._width, kh = s._kernelH, kw = s._kernelW, dw = s._dilationW, plane = h * w;
            float* image = s._images + (long)n * s._channels * plane;
            float* src = s._columns + (long)n * s._outH * s._outW * s._patch;
            for (int oh = 0; oh < s._outH; oh++)
            {
                int top = oh * s._strideH - s._padH;
                for (int ow = 0; ow < s._outW; ow++)
                {
                    int left = ow * s._strideW - s._padW;
                    bool inside = left >= 0 && left + dw * (kw - 1) < w;
                    for (int c = 0; c < s._channels; c++)
                    {
                        float* channel = image + (long)c * plane;
                        for (int ki = 0; ki < kh; ki++, src += kw)
                        {
                            int ih = top + ki * s._dilationH;
                            if ((uint)ih >= (uint)h) continue;
                            float* dst = channel + (long)ih * w + left;
                            if (inside && dw == 1)
                            {
                                if (kw == 4) Vector128.Store(Vector128.Load(dst) + Vector128.Load(src), dst);
                                else for (int kj = 0; kj < kw; kj++) dst[kj] += src[kj];
                            }
                            else
                                for (int kj = 0; kj < kw; kj++)
                                {
                                    int iw = left + kj * dw;
                                    if ((uint)iw < (uint)w) dst[kj * dw] += src[kj];
                                }
                        }
                    }
                }
            }
        }
    }
}
