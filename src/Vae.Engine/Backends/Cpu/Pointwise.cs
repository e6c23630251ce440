using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>A pointwise function with its vector and scalar forms (the scalar one handles the tail).</summary>
internal interface IPointwiseRule
{
    static abstract Vector<float> Apply(Vector<float> x, float alpha);
    static abstract float Apply(float x, float alpha);

    /// <summary>
    /// Whether the rule has a 512-bit form that the loops below take where the processor has
    /// 512-bit vectors (Vector&lt;float&gt; stays 256 bits wide there). Only for rules whose chain of
    /// operations is long: each vector's result waits on the one before it in the chain, and twice
    /// the lanes per chain is twice the values per wait. The same operations per lane, so the same bits.
    /// </summary>
    static virtual bool HasWideForm => false;

    static virtual Vector512<float> Apply(Vector512<float> x, float alpha) => throw new NotSupportedException("This rule has no 512-bit form.");
}

/// <summary>The derivative part of a backward rule: returns dy * f'(x) given x, y = f(x) and dy.</summary>
internal interface IGradRule
{
    static abstract Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha);
    static abstract float Grad(float x, float y, float dy, float alpha);
}

internal static class Pointwise
{
    public static void Map<TRule>(ReadOnlySpan<float> x, Span<float> y, float alpha) where TRule : IPointwiseRule
    {
        int i = 0, w = Vector<float>.Count;
        if (TRule.HasWideForm && Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                TRule.Apply(Vector512.Create(x[i..]), alpha).CopyTo(y[i..]);
        }
        for (; i <= x.Length - w; i += w)
            TRule.Apply(new Vector<float>(x[i..]), alpha).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] = TRule.Apply(x[i], alpha);
    }

    /// <summary>
    /// y = TRule(y + bias) in one pass: a dense layer's tail, row by row. A row of a few hundred
    /// values made two library calls' fixed costs a large part of the work.
    /// </summary>
    public static void BiasMap<TRule>(Span<float> y, ReadOnlySpan<float> bias, float alpha) where TRule : IPointwiseRule
    {
        int i = 0, w = Vector<float>.Count;
        if (TRule.HasWideForm && Vector512.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                TRule.Apply(Vector512.Create(y[i..]) + Vector512.Create(bias[i..]), alpha).CopyTo(y[i..]);
        }
        for (; i <= y.Length - w; i += w)
            TRule.Apply(new Vector<float>(y[i..]) + new Vector<float>(bias[i..]), alpha).CopyTo(y[i..]);
        for (; i < y.Length; i++) y[i] = TRule.Apply(y[i] + bias[i], alpha);
    }

    /// <summary>y = TRule(x + shift), one value added to every element: a channel's bias over its positions.</summary>
    public static void ShiftMap<TRule>(ReadOnlySpan<float> x, Span<float> y, float shift, float alpha) where TRule : IPointwiseRule
    {
        int i = 0, w = Vector<float>.Count;
        var add = new Vector<float>(shift);
        if (TRule.HasWideForm && Vector512.IsHardwareAccelerated)
        {
            var wideAdd = Vector512.Create(shift);
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                TRule.Apply(Vector512.Create(x[i..]) + wideAdd, alpha).CopyTo(y[i..]);
        }
        for (; i <= x.Length - w; i += w)
            TRule.Apply(new Vector<float>(x[i..]) + add, alpha).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] = TRule.Apply(x[i] + shift, alpha);
    }

    /// <summary>dx += TRule.Grad(x, y, dy).</summary>
    public static void Accumulate<TRule>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, float alpha) where TRule : IGradRule
    {
        int i = 0, w = Vector<float>.Count;
        for (; i <= x.Length - w; i += w)
        {
            var d = new Vector<float>(dx[i..]) + TRule.Grad(new Vector<float>(x[i..]), new Vector<float>(y[i..]), new Vector<float>(dy[i..]), alpha);
            d.CopyTo(dx[i..]);
        }
        for (; i < x.Length; i++) dx[i] += TRule.Grad(x[i], y[i], dy[i], alpha);
    }

    public static void BinaryGradLeft(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> g, Span<float> da)
    {
        switch (kind)
        {
            case BinaryKind.Add:
            case BinaryKind.Sub: TensorPrimitives.Add(da, g, da); break;
            case BinaryKind.Mul: TensorPrimitives.MultiplyAdd(g, b, da, da); break;
            default: for (int i = 0; i < da.Length; i++) da[i] += g[i] / b[i]; break;
        }
    }

    public static void BinaryGradRight(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> g, Span<float> db)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(db, g, db); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(db, g, db); break;
            case BinaryKind.Mul: TensorPrimitives.MultiplyAdd(g, a, db, db); break;
            default: for (int i = 0; i < db.Length; i++) db[i] -= g[i] * a[i] / (b[i] * b[i]); break;
        }
    }
}

/// <summary>
/// The logistic function 1 / (1 + e^-x), within 3e-7 relative; NaN stays NaN. TensorPrimitives.Sigmoid
/// takes its exponential in double precision, which made the decoder's output activation cost a
/// third of its matrix product when serving a grid; this takes <see cref="FloatMath.Exp(Vector{float})"/>.
/// Its 512-bit form takes a 64-digit grid's 50,000 values in two thirds of the time.
/// </summary>
internal readonly struct SigmoidRule : IPointwiseRule
{
    public static Vector<float> Apply(Vector<float> x, float alpha) => Vector<float>.One / (Vector<float>.One + FloatMath.Exp(-x));
    public static float Apply(float x, float alpha) => 1f / (1f + FloatMath.Exp(-x));

    public static bool HasWideForm => true;

    public static Vector512<float> Apply(Vector512<float> x, float alpha) => Vector512<float>.One / (Vector512<float>.One + FloatMath.Exp(-x));
}

internal readonly struct IdentityRule : IPointwiseRule
{
    public static Vector<float> Apply(Vector<float> x, float alpha) => x;
    public static float Apply(float x, float alpha) => x;
}

/// <summary>max(x, 0), NaN kept, as TensorPrimitives.Max(x, 0).</summary>
internal readonly struct ReluRule : IPointwiseRule
{
    public static Vector<float> Apply(Vector<float> x, float alpha) => Vector.Max(x, Vector<float>.Zero);
    public static float Apply(float x, float alpha) => MathF.Max(x, 0f);
}

internal readonly struct LeakyReluRule : IPointwiseRule
{
    public static Vector<float> Apply(Vector<float> x, float alpha) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), x, x * alpha);
    public static float Apply(float x, float alpha) => x > 0 ? x : x * alpha;
}

/// <summary>softplus(x) = max(x, 0) + log(1 + exp(-|x|)): never overflows.</summary>
internal readonly struct SoftplusRule : IPointwiseRule
{
    public static Vector<float> Apply(Vector<float> x, float alpha)
        => Vector.Max(x, Vector<float>.Zero) + Vector.Log(Vector<float>.One + Vector.Exp(-Vector.Abs(x)));
    public static float Apply(float x, float alpha) => MathF.Max(x, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(x)));
}

/// <summary>The gradient passed through unchanged: no activation.</summary>
internal readonly struct IdentityGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => dy;
    public static float Grad(float x, float y, float dy, float alpha) => dy;
}

internal readonly struct ReluGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), dy, Vector<float>.Zero);
    public static float Grad(float x, float y, float dy, float alpha) => x > 0 ? dy : 0f;
}

internal readonly struct LeakyReluGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), dy, dy * alpha);
    public static float Grad(float x, float y, float dy, float alpha) => x > 0 ? dy : dy * alpha;
}

internal readonly struct SigmoidGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => dy * y * (Vector<float>.One - y);
    public static float Grad(float x, float y, float dy, float alpha) => dy * y * (1 - y);
}

internal readonly struct TanhGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => dy * (Vector<float>.One - y * y);
    public static float Grad(float x, float y, float dy, float alpha) => dy * (1 - y * y);
}

internal readonly struct LogGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => dy / x;
    public static float Grad(float x, float y, float dy, float alpha) => dy / x;
}

/// <summary>softplus'(x) = sigmoid(x) = 1 / (1 + exp(-x)).</summary>
internal readonly struct SoftplusGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => dy / (Vector<float>.One + Vector.Exp(-x));
    public static float Grad(float x, float y, float dy, float alpha) => dy / (1 + MathF.Exp(-x));
}

internal readonly struct SquareGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => dy * x * 2f;
    public static float Grad(float x, float y, float dy, float alpha) => dy * x * 2f;
}

internal readonly struct SqrtGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha) => dy * 0.5f / y;
    public static float Grad(float x, float y, float dy, float alpha) => dy * 0.5f / y;
}

internal readonly struct AbsGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha)
        => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), dy, Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -dy, Vector<float>.Zero));
    public static float Grad(float x, float y, float dy, float alpha) => x > 0 ? dy : x < 0 ? -dy : 0f;
}

/// <summary>1 where x exceeds alpha, else 0 (masks, e.g. dropout's keep mask from uniform noise).</summary>
internal readonly struct StepRule : IPointwiseRule
{
    public static Vector<float> Apply(Vector<float> x, float alpha)
        => Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<float>(alpha)), Vector<float>.One, Vector<float>.Zero);
    public static float Apply(float x, float alpha) => x > alpha ? 1f : 0f;
}

/// <summary>max(x, alpha) passes the gradient where x is at or above the floor, as torch.clamp does.</summary>
internal readonly struct ClampMinGrad : IGradRule
{
    public static Vector<float> Grad(Vector<float> x, Vector<float> y, Vector<float> dy, float alpha)
        => Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, new Vector<float>(alpha)), dy, Vector<float>.Zero);
    public static float Grad(float x, float y, float dy, float alpha) => x >= alpha ? dy : 0f;
}
