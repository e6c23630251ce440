using System.Numerics.Tensors;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Reduce(ReduceKind kind, BufferRef x, BufferRef y, int outer, int size, int inner)
    {
        float* dst = Ptr(y);
        if (size == 0)
        {
            if (kind != ReduceKind.Sum) throw new ArgumentException($"{kind} over an empty dimension has no value.");
            Span(y, outer * inner).Clear();
            return;
        }
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var row = Span(x.At(o * size), size);
                dst[o] = kind switch
                {
                    ReduceKind.Sum => (float)Cpu.Summation.Sum(row),
                    ReduceKind.Max => TensorPrimitives.Max(row),
                    _ => TensorPrimitives.IndexOfMax(row),
                };
            }
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var result = Span(y.At(o * inner), inner);
            Span(x.At(o * size * inner), inner).CopyTo(result);
            if (kind == ReduceKind.ArgMax)
            {
                // Track the first index of the largest value per column.
                var best = result;
                var indexSpan = new float[inner];
                for (int d = 1; d < size; d++)
                {
                    var row = Span(x.At((o * size + d) * inner), inner);
                    for (int i = 0; i < inner; i++)
                        if (row[i] > best[i]) { best[i] = row[i]; indexSpan[i] = d; }
                }
                indexSpan.CopyTo(result);
                continue;
            }
            for (int d = 1; d < size; d++)
            {
                var row = Span(x.At((o * size + d) * inner), inner);
                if (kind == ReduceKind.Sum) TensorPrimitives.Add(result, row, result);
                else TensorPrimitives.Max(result, row, result);
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
