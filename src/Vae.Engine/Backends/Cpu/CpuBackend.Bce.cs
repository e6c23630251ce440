using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    internal const int BceBlock = 4096;

    public void BceWithLogitsAndGradient(BufferRef logits, BufferRef target, int count, BufferRef result, BufferRef gradient)
    {
        // Fixed blocks, each summed on its own and added in block order: the same result for any thread count.
        int blocks = (count + BceBlock - 1) / BceBlock;
        double* partial = stackalloc double[blocks];
        var state = new BceBlocks(Ptr(logits), Ptr(target), Ptr(gradient), partial, count);
        CpuParallel.For(blocks, count >= 4 * BceBlock ? ThreadBudget.Current : 1, state, &BceBlocks.Run);
        double total = 0;
        for (int b = 0; b < blocks; b++) total += partial[b];
        Ptr(result)[0] = (float)total;
    }

    public void ScaledAdd(BufferRef upstream, float scale, BufferRef x, BufferRef y, int count, bool overwrite)
    {
        float factor = scale * Ptr(upstream)[0];
        // A loss's gradient that has become its input's own (scaled in place) by a factor of one: already done.
        if (overwrite && factor == 1f && Ptr(x) == Ptr(y)) return;
        var state = new ScaledChunks(Ptr(x), Ptr(y), count, factor, overwrite);
        CpuParallel.For((count + ScaledChunk - 1) / ScaledChunk, count >= 4 * ScaledChunk ? ThreadBudget.Current : 1, state, &ScaledChunks.Run);
    }

    private const int ScaledChunk = 16 * 1024;

    private readonly struct ScaledChunks(float* x, float* y, int count, float factor, bool overwrite)
    {
        private readonly float* _x = x, _y = y;
        private readonly int _count = count;
        private readonly float _factor = factor;
        private readonly bool _overwrite = overwrite;

        public static void Run(int chunk, ref ScaledChunks s)
        {
            int start = chunk * ScaledChunk, n = Math.Min(ScaledChunk, s._count - start);
            var x = new ReadOnlySpan<float>(s._x + start, n);
            var y = new Span<float>(s._y + start, n);
            if (s._overwrite) TensorPrimitives.Multiply(x, s._factor, y);
            else TensorPrimitives.MultiplyAdd(x, s._factor, y, y);
        }
    }

    private readonly struct BceBlocks(float* l, float* t, float* g, double* partial, int count)
    {
        private readonly float* _l = l, _t = t, _g = g;
        private readonly double* _partial = partial;
        private readonly int _count = count;

        public static void Run(int block, ref BceBlocks s)
        {
            int start = block * BceBlock, end = Math.Min(start + BceBlock, s._count), i = start, w = Vector<float>.Count;
            float* l = s._l, t = s._t, g = s._g;
            var acc = Vector<float>.Zero;
            if (Vector512.IsHardwareAccelerated && w == Vector256<float>.Count)
            {
                // Sixteen at a time where the processor has 512-bit vectors: the chain of operations
                // per value is long, and twice the lanes per chain is twice the values per wait. Each
                // half joins the eight-lane sum in the order the loop below would add it, so the
                // loss has the same bits either way.
                for (; i <= end - 2 * w; i += 2 * w)
                {
                    var lv = Vector512.Load(l + i);
                    var tv = Vector512.Load(t + i);
                    var e = FloatMath.Exp(-Vector512.Abs(lv));
                    var onePlus = Vector512<float>.One + e;
                    var terms = Vector512.ConditionalSelect(Vector512.GreaterThan(lv, Vector512<float>.Zero), lv, Vector512<float>.Zero) - tv * lv + FloatMath.LogOnePlus(e);
                    acc += terms.GetLower().AsVector();
                    acc += terms.GetUpper().AsVector();
                    var sigmoid = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(lv, Vector512<float>.Zero), Vector512<float>.One, e) / onePlus;
                    Vector512.Store(sigmoid - tv, g + i);
                }
            }
            for (; i <= end - w; i += w)
            {
                var lv = Vector.Load(l + i);
                var tv = Vector.Load(t + i);
                // e = exp(-|l|) gives both softplus(l) = max(l, 0) + log(1 + e) and sigmoid(l).
                var e = FloatMath.Exp(-Vector.Abs(lv));
                var onePlus = Vector<float>.One + e;
                // max(l, 0) as a select: Vector.Max's IEEE rules cost fix-up instructions, and only
                // differ for NaN, where - t l makes the sum NaN anyway.
                var positive = Vector.GreaterThan(lv, Vector<float>.Zero);
                acc += Vector.ConditionalSelect(positive, lv, Vector<float>.Zero) - tv * lv + FloatMath.LogOnePlus(e);
                var sigmoid = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(lv, Vector<float>.Zero), Vector<float>.One, e) / onePlus;
                Vector.Store(sigmoid - tv, g + i);
            }
            float sum = Vector.Sum(acc);
            for (; i < end; i++)
            {
                float e = FloatMath.Exp(-MathF.Abs(l[i]));
                sum += MathF.Max(l[i], 0) - t[i] * l[i] + FloatMath.LogOnePlus(e);
                g[i] = (l[i] >= 0 ? 1f : e) / (1 + e) - t[i];
            }
            s._partial[block] = sum;
        }
    }
}
