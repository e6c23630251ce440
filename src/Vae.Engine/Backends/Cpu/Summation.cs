using System.Numerics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Sums in a fixed order (vector lanes over fixed-size blocks, blocks added in double), so a
/// result never depends on thread count or timing, and long sums keep their precision.
/// </summary>
internal static class Summation
{
    private const int Block = 4096;

    public static double Sum(ReadOnlySpan<float> x)
    {
        double total = 0;
        for (int start = 0; start < x.Length; start += Block)
            total += SumBlock(x.Slice(start, Math.Min(Block, x.Length - start)));
        return total;
    }

    private static float SumBlock(ReadOnlySpan<float> x)
    {
        int w = Vector<float>.Count, i = 0;
        Vector<float> a0 = Vector<float>.Zero, a1 = Vector<float>.Zero;
        for (; i <= x.Length - 2 * w; i += 2 * w)
        {
            a0 += new Vector<float>(x[i..]);
            a1 += new Vector<float>(x[(i + w)..]);
        }
        for (; i <= x.Length - w; i += w) a0 += new Vector<float>(x[i..]);
        float s = Vector.Sum(a0 + a1);
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    /// <summary>Sum of TRule.Apply over blocks, for fused losses.</summary>
    public static double SumOf<TRule>(ReadOnlySpan<float> a, ReadOnlySpan<float> b) where TRule : IPairTerm
    {
        double total = 0;
        int w = Vector<float>.Count;
        for (int start = 0; start < a.Length; start += Block)
        {
            int end = Math.Min(start + Block, a.Length), i = start;
            var acc = Vector<float>.Zero;
            for (; i <= end - w; i += w) acc += TRule.Term(new Vector<float>(a[i..]), new Vector<float>(b[i..]));
            float s = Vector.Sum(acc);
            for (; i < end; i++) s += TRule.Term(a[i], b[i]);
            total += s;
        }
        return total;
    }
}

/// <summary>One term of a sum over paired elements (a prediction and a target, a mean and a log-variance).</summary>
internal interface IPairTerm
{
    static abstract Vector<float> Term(Vector<float> a, Vector<float> b);
    static abstract float Term(float a, float b);
}
