namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Im2Col(BufferRef images, int count, in ConvGeometry g, BufferRef columns, float padValue = 0f)
    {
        var state = new Unfold(Ptr(images), Ptr(columns), g, padValue);
        int units = count * g.Channels;
        CpuParallel.For(units, (long)count * g.ColumnSize >= 64 * 1024 ? ThreadBudget.Current : 1, state, &Unfold.ImageToColumns);
    }

    public void Col2Im(BufferRef columns, int count, in ConvGeometry g, BufferRef images)
    {
        var state = new Unfold(Ptr(images), Ptr(columns), g, 0f);
        int units = count * g.Channels;
        CpuParallel.For(units, (long)count * g.ColumnSize >= 64 * 1024 ? ThreadBudget.Current : 1, state, &Unfold.ColumnsToImage);
    }

    /// <summary>One (image, channel) of an unfold or fold: the kh * kw rows of the column matrix that channel owns.</summary>
    internal readonly struct Unfold(float* images, float* columns, ConvGeometry g, float padValue)
    {
        private readonly float* _images = images, _columns = columns;
        private readonly ConvGeometry _g = g;
        private readonly float _pad = padValue;

        public static void ImageToColumns(int unit, ref Unfold s) => ImageToColumns(s._images, s._columns, s._g, s._pad, unit);

        public static void ColumnsToImage(int unit, ref Unfold s) => ColumnsToImage(s._columns, s._images, s._g, unit);

        /// <summary>Writes the rows of (image n, channel c) = unit (n * C + c).</summary>
        public static void ImageToColumns(float* images, float* columns, in ConvGeometry g, float pad, int unit)
        {
            int n = unit / g.Channels, c = unit % g.Channels;
            int outH = g.OutHeight, outW = g.OutWidth, positions = outH * outW;
            float* plane = images + (long)n * g.ImageSize + (long)c * g.Height * g.Width;
            float* rows = columns + (long)n * g.ColumnSize + (long)c * g.KernelH * g.KernelW * positions;
            for (int ki = 0; ki < g.KernelH; ki++)
            {
                for (int kj = 0; kj < g.KernelW; kj++)
                {
                    float* dst = rows + (long)(ki * g.KernelW + kj) * positions;
                    int colOffset = kj * g.DilationW - g.PadW;
                    // Output columns whose input column falls inside the image: [first, last).
                    int first = FirstInside(colOffset, g.StrideW), last = LastInside(colOffset, g.StrideW, g.Width, outW);
                    for (int oh = 0; oh < outH; oh++, dst += outW)
                    {
                        int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                        if ((uint)ih >= (uint)g.Height || first >= last)
                        {
                            new Span<float>(dst, outW).Fill(pad);
                            continue;
                        }
                        float* src = plane + (long)ih * g.Width + colOffset;
                        for (int ow = 0; ow < first; ow++) dst[ow] = pad;
                        if (g.StrideW == 1) new ReadOnlySpan<float>(src + first, last - first).CopyTo(new Span<float>(dst + first, last - first));
                        else for (int ow = first; ow < last; ow++) dst[ow] = src[ow * g.StrideW];
                        for (int ow = last; ow < outW; ow++) dst[ow] = pad;
                    }
                }
            }
        }

        /// <summary>Adds the rows of (image n, channel c) = unit back into that channel's plane.</summary>
        public static void ColumnsToImage(float* columns, float* images, in ConvGeometry g, int unit)
        {
            int n = unit / g.Channels, c = unit % g.Channels;
            int outH = g.OutHeight, outW = g.OutWidth, positions = outH * outW;
            float* plane = images + (long)n * g.ImageSize + (long)c * g.Height * g.Width;
            float* rows = columns + (long)n * g.ColumnSize + (long)c * g.KernelH * g.KernelW * positions;
            for (int ki = 0; ki < g.KernelH; ki++)
            {
                for (int kj = 0; kj < g.KernelW; kj++)
                {
                    float* src = rows + (long)(ki * g.KernelW + kj) * positions;
                    int colOffset = kj * g.DilationW - g.PadW;
                    int first = FirstInside(colOffset, g.StrideW), last = LastInside(colOffset, g.StrideW, g.Width, outW);
                    for (int oh = 0; oh < outH; oh++, src += outW)
                    {
                        int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                        if ((uint)ih >= (uint)g.Height || first >= last) continue;
                        float* dst = plane + (long)ih * g.Width + colOffset;
                        if (g.StrideW == 1)
                        {
                            var d = new Span<float>(dst + first, last - first);
                            System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + first, last - first), d);
                        }
                        else for (int ow = first; ow < last; ow++) dst[ow * g.StrideW] += src[ow];
                    }
                }
            }
        }

        // The first output column ow with ow * stride + offset >= 0.
        private static int FirstInside(int offset, int stride) => offset >= 0 ? 0 : (-offset + stride - 1) / stride;

        // One past the last output column ow with ow * stride + offset < width.
        private static int LastInside(int offset, int stride, int width, int outW)
        {
            int limit = width - offset; // need ow * stride < limit
            if (limit <= 0) return 0;
            return Math.Min(outW, (limit + stride - 1) / stride);
        }
    }
}
