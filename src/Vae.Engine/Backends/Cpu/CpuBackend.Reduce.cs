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
        // Blocks of columns, each summed over every row in order: the same sums whatever the split.
        var state = new ColumnBlocks(Ptr(x), Ptr(y), rows, cols, accumulate);
        int blocks = (cols + ColumnBlock - 1) / ColumnBlock;
        CpuParallel.For(blocks, (long)rows * cols >= 32 * 1024 ? ThreadBudget.Current : 1, state, &ColumnBlocks.Run);
    }

    // Narrow enough that a dense layer's bias gradient (a batch of 128 x 400 or 784) splits among threads.
    private const int ColumnBlock = 128;

    private readonly struct ColumnBlocks(float* x, float* y, int rows, int cols, bool accumulate)
    {
        private readonly float* _x = x, _y = y;
        private readonly int _rows = rows, _cols = cols;
        private readonly bool _accumulate = accumulate;

        public static void Run(int block, ref ColumnBlocks s)
        {
            int start = block * ColumnBlock, width = Math.Min(ColumnBlock, s._cols - start);
            var dst = new Span<float>(s._y + start, width);
            if (!s._accumulate) dst.Clear();
            for (int r = 0; r < s._rows; r++) TensorPrimitives.Add(dst, new ReadOnlySpan<float>(s._x + (long)r * s._cols + start, width), dst);
        }
    }
}
