using System.Numerics;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Large parameters are updated in chunks on the caller's thread budget; each element's update
    // is independent, so the result does not depend on how chunks are shared out.
    private const int OptimizerChunk = 32 * 1024;

    /// <summary>One Adam update with PyTorch's formula: p -= stepSize * m / (sqrt(v) / sqrt(bc2) + eps).</summary>
    public void AdamStep(BufferRef parameter, BufferRef gradient, BufferRef firstMoment, BufferRef secondMoment, int count, AdamStepArgs args)
    {
        var state = new AdamChunk(Ptr(parameter), Ptr(gradient), Ptr(firstMoment), Ptr(secondMoment), count, args);
        int chunks = (count + OptimizerChunk - 1) / OptimizerChunk;
        CpuParallel.For(chunks, ThreadBudget.Current, state, &AdamChunk.Run);
    }

    private readonly struct AdamChunk(float* p, float* g, float* m, float* v, int count, AdamStepArgs args)
    {
        public static void Run(int chunk, ref AdamChunk s)
        {
            int start = chunk * OptimizerChunk, n = Math.Min(OptimizerChunk, s.Count - start);
            Update(new Span<float>(s.P + start, n), new ReadOnlySpan<float>(s.G + start, n), new Span<float>(s.M + start, n), new Span<float>(s.V + start, n), s.Args);
        }

        private float* P { get; } = p;
        private float* G { get; } = g;
        private float* M { get; } = m;
        private float* V { get; } = v;
        private int Count { get; } = count;
        private AdamStepArgs Args { get; } = args;
    }

    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamStepArgs args)
    {
        float b1 = args.Beta1, b2 = args.Beta2, c1 = 1 - b1, c2 = 1 - b2, wd = args.WeightDecay;
        float invBc2 = 1f / args.BiasCorrection2Sqrt, eps = args.Epsilon, step = args.StepSize;
        int i = 0, w = Vector<float>.Count, count = p.Length;
        for (; i <= count - w; i += w)
        {
            var pv = new Vector<float>(p[i..]);
            var gv = new Vector<float>(g[i..]);
            if (wd != 0) gv += pv * wd;
            var mv = new Vector<float>(m[i..]) * b1 + gv * c1;
            var vv = new Vector<float>(v[i..]) * b2 + gv * gv * c2;
            mv.CopyTo(m[i..]);
            vv.CopyTo(v[i..]);
            (pv - mv / (Vector.SquareRoot(vv) * invBc2 + new Vector<float>(eps)) * step).CopyTo(p[i..]);
        }
        for (; i < count; i++)
        {
            float gi = g[i] + (wd != 0 ? wd * p[i] : 0f);
            m[i] = m[i] * b1 + gi * c1;
            v[i] = v[i] * b2 + gi * gi * c2;
            p[i] -= step * m[i] / (MathF.Sqrt(v[i]) * invBc2 + eps);
        }
    }

    public void SgdStep(BufferRef parameter, BufferRef gradient, BufferRef? momentumBuffer, int count, SgdStepArgs args)
    {
        float* p = Ptr(parameter), g = Ptr(gradient);
        float* buf = momentumBuffer is { } mb ? Ptr(mb) : null;
        for (int i = 0; i < count; i++)
        {
            float d = g[i] + args.WeightDecay * p[i];
            if (buf != null)
            {
                buf[i] = args.FirstStep ? d : args.Momentum * buf[i] + (1 - args.Dampening) * d;
                d = args.Nesterov ? d + args.Momentum * buf[i] : buf[i];
            }
            p[i] -= args.LearningRate * d;
        }
    }
}
