using System.Numerics;
using System.Numerics.Tensors;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    private const int RowsPerChunk = 16;

    // The managed product reads a transposed B in place and packs a stored one for every call: at
    // the serving shapes the in-place read is 10% faster from 16 rows up and twice as fast at eight
    // (bench/Gemm). OpenBLAS packs both; the copy costs it nothing.
    public bool ReadsTransposedWeightsFaster => true;

    public void BiasActivation(BufferRef y, BufferRef? bias, int rows, int cols, Activation activation, float slope)
    {
        var state = new BiasActivationRows(Ptr(y), bias is { } b ? Ptr(b) : null, rows, cols, activation, slope);
        int chunks = (rows + RowsPerChunk - 1) / RowsPerChunk;
        CpuParallel.For(chunks, (long)rows * cols >= 32 * 1024 ? ThreadBudget.Current : 1, state, &BiasActivationRows.Run);
    }

    private readonly struct BiasActivationRows(float* y, float* bias, int rows, int cols, Activation activation, float slope)
    {
        private readonly float* _y = y, _bias = bias;
        private readonly int _rows = rows, _cols = cols;
        private readonly Activation _activation = activation;
        private readonly float _slope = slope;

        public static void Run(int chunk, ref BiasActivationRows s)
        {
            int end = Math.Min(s._rows, (chunk + 1) * RowsPerChunk), cols = s._cols;
            ReadOnlySpan<float> b = s._bias == null ? default : new ReadOnlySpan<float>(s._bias, cols);
            for (int r = chunk * RowsPerChunk; r < end; r++)
            {
                // Row by row, so the row is still in L1 when the activation reads it.
                var row = new Span<float>(s._y + (long)r * cols, cols);
                switch (s._activation)
                {
                    case Activation.Relu: Apply<ReluRule>(row, b, 0f); break;
                    case Activation.LeakyRelu: Apply<LeakyReluRule>(row, b, s._slope); break;
                    case Activation.Sigmoid: Apply<SigmoidRule>(row, b, 0f); break;
                    case Activation.Tanh:
                        if (!b.IsEmpty) TensorPrimitives.Add(row, b, row);
                        TensorPrimitives.Tanh(row, row);
                        break;
                    default:
                        if (!b.IsEmpty) TensorPrimitives.Add(row, b, row);
                        break;
                }
            }
        }

        // act(row + bias) in one pass where there is a bias.
        private static void Apply<TRule>(Span<float> row, ReadOnlySpan<float> bias, float alpha) where TRule : IPointwiseRule
        {
            if (bias.IsEmpty) Pointwise.Map<TRule>(row, row, alpha);
            else Pointwise.BiasMap<TRule>(row, bias, alpha);
        }
    }

    public void LinearGradients(BufferRef dz, BufferRef x, BufferRef weight, int rows, int inFeatures, int outFeatures, GradientTarget? dWeight, GradientTarget? dX)
    {
        var pair = new GradientPair
        {
            Dz = Ptr(dz), X = Ptr(x), Weight = Ptr(weight), Rows = rows, In = inFeatures, Out = outFeatures,
            DWeight = dWeight is { } dw ? Ptr(dw.Buffer) : null, DX = dX is { } dx ? Ptr(dx.Buffer) : null, Path = GemmPathInUse,
            // beta 0 writes over a target's old contents, whatever they are.
            WeightBeta = dWeight is { Overwrite: true } ? 0f : 1f, InputBeta = dX is { Overwrite: true } ? 0f : 1f,
        };
        // dW and dX take the same multiply-adds. With two or three threads each product runs whole on
        // a thread of its own: no product is split, so none repacks what the other thread packs too,
        // and the two threads meet once instead of at every product. More threads split each product.
        int threads = ThreadBudget.Current;
        if (pair.DWeight != null && pair.DX != null && threads is 2 or 3 && (long)rows * inFeatures * outFeatures >= 1024 * 1024)
        {
            pair.Threads = 1;
            CpuParallel.For(2, 2, pair, &GradientPair.Run);
            return;
        }
        pair.Threads = threads;
        GradientPair.Run(0, ref pair);
        GradientPair.Run(1, ref pair);
    }

    private struct GradientPair
    {
        public float* Dz, X, Weight, DWeight, DX;
        public int Rows, In, Out, Threads;
        public float WeightBeta, InputBeta;
        public GemmPath Path;

        public static void Run(int which, ref GradientPair s)
        {
            if (which == 0 && s.DWeight != null)
                Cpu.Gemm.Sgemm(true, false, s.Out, s.In, s.Rows, 1f, s.Dz, s.Out, s.X, s.In, s.WeightBeta, s.DWeight, s.In, s.Threads, s.Path);
            if (which == 1 && s.DX != null)
                Cpu.Gemm.Sgemm(false, false, s.Rows, s.In, s.Out, 1f, s.Dz, s.Out, s.Weight, s.In, s.InputBeta, s.DX, s.In, s.Threads, s.Path);
        }
    }

    public void ActivationBackward(Activation activation, float slope, BufferRef y, BufferRef dy, BufferRef dz, int count)
    {
        // Chunks small enough that a hidden layer's gradient (a batch of 128 x 400) splits among threads.
        const int Chunk = 8 * 1024;
        var state = new GradientChunks(Ptr(y), Ptr(dy), Ptr(dz), count, activation, slope);
        CpuParallel.For((count + Chunk - 1) / Chunk, count >= 4 * Chunk ? ThreadBudget.Current : 1, state, &GradientChunks.Run);
    }

    private readonly struct GradientChunks(float* y, float* dy, float* dz, int count, Activation activation, float slope)
    {
        private readonly float* _y = y, _dy = dy, _dz = dz;
        private readonly int _count = count;
        private readonly Activation _activation = activation;
        private readonly float _slope = slope;

        public static void Run(int chunk, ref GradientChunks s)
        {
            const int Chunk = 8 * 1024;
            int start = chunk * Chunk, n = Math.Min(Chunk, s._count - start);
            ActivationGradient(s._activation, s._slope, new ReadOnlySpan<float>(s._y + start, n), new ReadOnlySpan<float>(s._dy + start, n), new Span<float>(s._dz + start, n));
        }
    }

    private static void ActivationGradient(Activation activation, float slope, ReadOnlySpan<float> ys, ReadOnlySpan<float> g, Span<float> d)
    {
        switch (activation)
        {
            case Activation.None: g.CopyTo(d); break;
            case Activation.Relu: Overwrite<ReluGrad>(ys, g, d, slope); break;
            case Activation.LeakyRelu: Overwrite<LeakyReluGrad>(ys, g, d, slope); break;
            case Activation.Sigmoid: Overwrite<SigmoidGrad>(ys, g, d, slope); break;
            case Activation.Tanh: Overwrite<TanhGrad>(ys, g, d, slope); break;
        }
    }

    /// <summary>
    /// dz = dy * f'(y), returning the sum of what it wrote (a convolution's bias gradient takes it in
    /// the same pass); Relu and LeakyRelu read the sign from y, which matches the input's sign.
    /// </summary>
    private static float Overwrite<TRule>(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dz, float alpha) where TRule : IGradRule
    {
        int i = 0, w = Vector<float>.Count;
        var sums = Vector<float>.Zero;
        for (; i <= y.Length - w; i += w)
        {
            var v = new Vector<float>(y[i..]);
            var d = TRule.Grad(v, v, new Vector<float>(dy[i..]), alpha);
            d.CopyTo(dz[i..]);
            sums += d;
        }
        float sum = Vector.Sum(sums);
        for (; i < y.Length; i++) sum += dz[i] = TRule.Grad(y[i], y[i], dy[i], alpha);
        return sum;
    }

    public void BceWithLogits(BufferRef logits, BufferRef target, int count, BufferRef result)
        => Ptr(result)[0] = (float)Summation.SumOf<BceLogitsTerm>(Span(logits, count), Span(target, count));

    public void BceWithLogitsBackward(BufferRef upstream, float scale, BufferRef logits, BufferRef target, BufferRef? dLogits, BufferRef? dTarget, int count)
    {
        scale *= Ptr(upstream)[0];
        ReadOnlySpan<float> l = Span(logits, count), t = Span(target, count);
        if (dLogits is { } dl)
        {
            Span<float> d = Span(dl, count);
            int i = 0, w = Vector<float>.Count;
            for (; i <= count - w; i += w)
            {
                var s = Vector<float>.One / (Vector<float>.One + Vector.Exp(-new Vector<float>(l[i..])));
                (new Vector<float>(d[i..]) + (s - new Vector<float>(t[i..])) * scale).CopyTo(d[i..]);
            }
            for (; i < count; i++) d[i] += scale * (1f / (1f + MathF.Exp(-l[i])) - t[i]);
        }
        if (dTarget is { } dt) TensorPrimitives.MultiplyAdd(l, -scale, Span(dt, count), Span(dt, count));
    }

    public void Bce(BufferRef probabilities, BufferRef target, int count, BufferRef result)
        => Ptr(result)[0] = (float)Summation.SumOf<BceTerm>(Span(probabilities, count), Span(target, count));

    public void BceBackward(BufferRef upstream, float scale, BufferRef probabilities, BufferRef target, BufferRef? dProbabilities, BufferRef? dTarget, int count)
    {
        scale *= Ptr(upstream)[0];
        float* p = Ptr(probabilities), t = Ptr(target);
        float* dp = dProbabilities is { } a ? Ptr(a) : null, dt = dTarget is { } b ? Ptr(b) : null;
        for (int i = 0; i < count; i++)
        {
            if (dp != null) dp[i] += scale * (p[i] - t[i]) / MathF.Max(p[i] * (1f - p[i]), 1e-12f);
            if (dt != null) dt[i] -= scale * (MathF.Max(MathF.Log(p[i]), -100f) - MathF.Max(MathF.Log(1f - p[i]), -100f));
        }
    }

    public void SquaredError(BufferRef a, BufferRef b, int count, BufferRef result)
        => Ptr(result)[0] = (float)Summation.SumOf<SquaredTerm>(Span(a, count), Span(b, count));

    public void SquaredErrorBackward(BufferRef upstream, float scale, BufferRef a, BufferRef b, BufferRef? da, BufferRef? db, int count)
    {
        scale *= Ptr(upstream)[0];
        float* pa = Ptr(a), pb = Ptr(b);
        float* pda = da is { } x ? Ptr(x) : null, pdb = db is { } y ? Ptr(y) : null;
        for (int i = 0; i < count; i++)
        {
            float g = scale * 2f * (pa[i] - pb[i]);
            if (pda != null) pda[i] += g;
            if (pdb != null) pdb[i] -= g;
        }
    }

    public void KlStandardNormal(BufferRef mu, BufferRef logVar, int count, BufferRef result)
        => Ptr(result)[0] = (float)Summation.SumOf<KlTerm>(Span(mu, count), Span(logVar, count));

    public void KlStandardNormalBackward(BufferRef upstream, float scale, BufferRef mu, BufferRef logVar, BufferRef? dMu, BufferRef? dLogVar, int count)
    {
        scale *= Ptr(upstream)[0];
        float* m = Ptr(mu), lv = Ptr(logVar);
        float* dm = dMu is { } x ? Ptr(x) : null, dl = dLogVar is { } y ? Ptr(y) : null;
        for (int i = 0; i < count; i++)
        {
            if (dm != null) dm[i] += scale * m[i];
            if (dl != null) dl[i] += scale * 0.5f * (MathF.Exp(lv[i]) - 1f);
        }
    }

    public void Reparameterize(BufferRef mu, BufferRef logVar, BufferRef eps, BufferRef z, int count)
    {
        float* m = Ptr(mu), lv = Ptr(logVar), e = Ptr(eps), o = Ptr(z);
        for (int i = 0; i < count; i++) o[i] = m[i] + e[i] * MathF.Exp(0.5f * lv[i]);
    }

    public void ReparameterizeBackward(BufferRef logVar, BufferRef eps, BufferRef dz, BufferRef? dMu, BufferRef? dLogVar, int count)
    {
        float* lv = Ptr(logVar), e = Ptr(eps), g = Ptr(dz);
        float* dm = dMu is { } x ? Ptr(x) : null, dl = dLogVar is { } y ? Ptr(y) : null;
        for (int i = 0; i < count; i++)
        {
            if (dm != null) dm[i] += g[i];
            if (dl != null) dl[i] += g[i] * e[i] * 0.5f * MathF.Exp(0.5f * lv[i]);
        }
    }
}

/// <summary>softplus(l) - t l = max(l, 0) - t l + log(1 + exp(-|l|)).</summary>
internal readonly struct BceLogitsTerm : IPairTerm
{
    public static Vector<float> Term(Vector<float> l, Vector<float> t)
        => Vector.Max(l, Vector<float>.Zero) - t * l + Vector.Log(Vector<float>.One + Vector.Exp(-Vector.Abs(l)));
    public static float Term(float l, float t) => MathF.Max(l, 0) - t * l + MathF.Log(1 + MathF.Exp(-MathF.Abs(l)));
}

/// <summary>-(t log p + (1 - t) log(1 - p)) with logs clamped at -100, as PyTorch's binary_cross_entropy.</summary>
internal readonly struct BceTerm : IPairTerm
{
    private static readonly Vector<float> Floor = new(-100f);
    public static Vector<float> Term(Vector<float> p, Vector<float> t)
        => -(t * Vector.Max(Vector.Log(p), Floor) + (Vector<float>.One - t) * Vector.Max(Vector.Log(Vector<float>.One - p), Floor));
    public static float Term(float p, float t) => -(t * MathF.Max(MathF.Log(p), -100f) + (1 - t) * MathF.Max(MathF.Log(1 - p), -100f));
}

internal readonly struct SquaredTerm : IPairTerm
{
    public static Vector<float> Term(Vector<float> a, Vector<float> b) { var d = a - b; return d * d; }
    public static float Term(float a, float b) { float d = a - b; return d * d; }
}

/// <summary>-0.5 (1 + logvar - mu^2 - exp(logvar)), the closed form of Kingma and Welling's appendix B.</summary>
internal readonly struct KlTerm : IPairTerm
{
    public static Vector<float> Term(Vector<float> mu, Vector<float> lv) => (Vector<float>.One + lv - mu * mu - Vector.Exp(lv)) * -0.5f;
    public static float Term(float mu, float lv) => -0.5f * (1 + lv - mu * mu - MathF.Exp(lv));
}
