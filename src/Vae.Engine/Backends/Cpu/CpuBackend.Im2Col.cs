using System.Runtime.CompilerServices;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Im2Col(BufferRef images, int count, in ConvGeometry g, BufferRef columns, float padValue = 0f)
    {
        var state = new Unfold(Ptr(images), Ptr(columns), g, count, padValue);
        CpuParallel.For(count * g.Channels, (long)count * g.ColumnSize >= 64 * 1024 ? ThreadBudget.Current : 1, state, &Unfold.ImageToColumns);
    }

    public void Col2Im(BufferRef columns, int count, in ConvGeometry g, BufferRef images)
    {
        var state = new Unfold(Ptr(images), Ptr(columns), g, count, 0f);
        CpuParallel.For(count * g.Channels, (long)count * g.ColumnSize >= 64 * 1024 ? ThreadBudget.Current : 1, state, &Unfold.ColumnsToImage);
    }

    /// <summary>
    /// One (image, channel) of an unfold or fold: the kh * kw rows that channel owns, at that
    /// image's columns n * P .. (n + 1) * P of a matrix whose rows are count * P long. For each
    /// kernel offset the output rows and columns whose window pixel lies inside the image are
    /// worked out once, so the loops over them copy without bounds checks; the rest is padding.
    /// </summary>
    internal readonly struct Unfold
    {
        private readonly float* _images, _columns;
        private readonly int _channels, _height, _width, _kernelH, _kernelW, _strideH, _strideW, _padH, _padW, _dilationH, _dilationW;
        private readonly int _outH, _outW, _count;
        private readonly float _pad;

        public Unfold(float* images, float* columns, in ConvGeometry g, int count, float padValue)
        {
            _images = images; _columns = columns; _count = count; _pad = padValue;
            _channels = g.Channels; _height = g.Height; _width = g.Width;
            _kernelH = g.KernelH; _kernelW = g.KernelW; _strideH = g.StrideH; _strideW = g.StrideW;
            _padH = g.PadH; _padW = g.PadW; _dilationH = g.DilationH; _dilationW = g.DilationW;
            _outH = g.OutHeight; _outW = g.OutWidth;
        }

        /// <summary>Writes the rows of (image n, channel c) = unit (n * C + c).</summary>
        public static void ImageToColumns(int unit, ref Unfold s)
        {
            int n = unit / s._channels, c = unit % s._channels;
            int outH = s._outH, outW = s._outW, width = s._width, strideW = s._strideW;
            long positions = (long)outH * outW, rowLength = s._count * positions;
            float pad = s._pad;
            float* plane = s._images + ((long)n * s._channels + c) * s._height * width;
            float* rows = s._columns + (long)c * s._kernelH * s._kernelW * rowLength + n * positions;
            for (int ki = 0; ki < s._kernelH; ki++)
            {
                int rowOffset = ki * s._dilationH - s._padH;
                int top = FirstInside(rowOffset, s._strideH), bottom = LastInside(rowOffset, s._strideH, s._height, outH);
                for (int kj = 0; kj < s._kernelW; kj++)
                {
                    int colOffset = kj * s._dilationW - s._padW;
                    int left = FirstInside(colOffset, strideW), right = LastInside(colOffset, strideW, width, outW);
                    float* dst = rows + (ki * s._kernelW + kj) * rowLength;
                    if (top >= bottom || left >= right)
                    {
                        Fill(dst, positions, pad);
                        continue;
                    }
                    Fill(dst, (long)top * outW, pad);
                    for (int oh = top; oh < bottom; oh++)
                    {
                        float* d = dst + (long)oh * outW;
                        float* src = plane + (long)(oh * s._strideH + rowOffset) * width + colOffset;
                        for (int ow = 0; ow < left; ow++) d[ow] = pad;
                        if (strideW == 1) Unsafe.CopyBlockUnaligned(d + left, src + left, (uint)((right - left) * sizeof(float)));
                        else for (int ow = left; ow < right; ow++) d[ow] = src[ow * strideW];
                        for (int ow = right; ow < outW; ow++) d[ow] = pad;
                    }
                    Fill(dst + (long)bottom * outW, (long)(outH - bottom) * outW, pad);
                }
            }
        }

        /// <summary>Adds the rows of (image n, channel c) = unit back into that channel's plane.</summary>
        public static void ColumnsToImage(int unit, ref Unfold s)
        {
            int n = unit / s._channels, c = unit % s._channels;
            int outH = s._outH, outW = s._outW, width = s._width, strideW = s._strideW;
            long positions = (long)outH * outW, rowLength = s._count * positions;
            float* plane = s._images + ((long)n * s._channels + c) * s._height * width;
            float* rows = s._columns + (long)c * s._kernelH * s._kernelW * rowLength + n * positions;
            for (int ki = 0; ki < s._kernelH; ki++)
            {
                int rowOffset = ki * s._dilationH - s._padH;
                int top = FirstInside(rowOffset, s._strideH), bottom = LastInside(rowOffset, s._strideH, s._height, outH);
                for (int kj = 0; kj < s._kernelW; kj++)
                {
                    int colOffset = kj * s._dilationW - s._padW;
                    int left = FirstInside(colOffset, strideW), right = LastInside(colOffset, strideW, width, outW);
                    float* src = rows + (ki * s._kernelW + kj) * rowLength;
                    for (int oh = top; oh < bottom; oh++)
                    {
                        float* from = src + (long)oh * outW;
                        float* dst = plane + (long)(oh * s._strideH + rowOffset) * width + colOffset;
                        if (strideW == 1)
                        {
                            var d = new Span<float>(dst + left, right - left);
                            System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<float>(from + left, right - left), d);
                        }
                        else for (int ow = left; ow < right; ow++) dst[ow * strideW] += from[ow];
                    }
                }
            }
        }

        private static void Fill(float* destination, long count, float value)
        {
            if (count > 0) new Span<float>(destination, (int)count).Fill(value);
        }

        // The first output index i with i * stride + offset >= 0.
        private static int FirstInside(int offset, int stride) => offset >= 0 ? 0 : (-offset + stride - 1) / stride;

        // One past the last output index i with i * stride + offset < size.
        private static int LastInside(int offset, int stride, int size, int outputs)
        {
            int limit = size - offset; // need i * stride < limit
            return limit <= 0 ? 0 : Math.Min(outputs, (limit + stride - 1) / stride);
        }
    }
}
