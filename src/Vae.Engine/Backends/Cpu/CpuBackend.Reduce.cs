using System.Numerics.Tensors;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Sum(BufferRef x, BufferRef y, int outer, int size, int inner)
    {
        float* dst = Ptr(y);
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) dst[o] = (float)Reduce.Sum(Span(x.At(o * size), size));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var row = Span(y.At(o * inner), inner);
            row.Clear();
            for (int d = 0; d < size; d++) TensorPrimitives.Add(row, Span(x.At((o * size + d) * inner), inner), row);
        }
    }

    public void SumBackward(BufferRef dy, BufferRef dx, int outer, int size, int inner)
    {
        float* g = Ptr(dy);
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                var seg = Span(dx.At(o * size), size);
                TensorPrimitives.Add(seg, g[o], seg);
                continue;
            }
            var src = Span(dy.At(o * inner), inner);
            for (int d = 0; d < size; d++)
            {
                var seg = Span(dx.At((o * size + d) * inner), inner);
                TensorPrimitives.Add(seg, src, seg);
            }
        }
    }

    public void ColumnSum(BufferRef x, int rows, int cols, BufferRef y, bool accumulate)
    {
        var dst = Span(y, cols);
        if (!accumulate) dst.Clear();
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(dst, Span(x.At(r * cols), cols), dst);
    }
}
