using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// e^x and ln(1 + e) in single precision throughout, for the sigmoid and the loss kernels: System.Numerics takes both
/// in double precision, which made the binary cross-entropy of a batch (100,000 logits) cost as much
/// as one of the MLP's smaller products. Both within about 2 ulp. The scalar, Vector&lt;float&gt; and
/// 512-bit forms do the same operations in the same order, so a value's result does not depend on
/// where it sits or how wide a loop took it.
/// </summary>
internal static class FloatMath
{
    // Beyond ±87, e^x overflows the exponent or goes subnormal.
    private const float Limit = 87f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2 = 0.693147180559945309f;

    // ln 2 in two parts: the first has few enough bits that n * Ln2High is exact for |n| <= 128.
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;

    // e^r on [-ln2/2, ln2/2]: 1 + r + r^2 (P5 + r (P4 + ...)), the classic single-precision minimax set.
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>e^x, with x clamped to ±87 (so e^-100 is 1.6e-38, not 3.7e-44).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        // The clamp as compare and select, NaN passing through: Vector.Min and Max follow IEEE 754's
        // rules for NaN and signed zeros, which takes the JIT six more instructions a vector here (a
        // sigmoid pass took a tenth longer with them). Neither rule can matter to e^x.
        var low = new Vector<float>(-Limit);
        var high = new Vector<float>(Limit);
        var t = Vector.ConditionalSelect(Vector.LessThan(x, low), low, x);
        t = Vector.ConditionalSelect(Vector.GreaterThan(t, high), high, t);
        var n = Vector.Round(t * new Vector<float>(Log2E));
        var r = t - n * new Vector<float>(Ln2High) - n * new Vector<float>(Ln2Low);
        var p = new Vector<float>(P0);
        p = p * r + new Vector<float>(P1);
        p = p * r + new Vector<float>(P2);
        p = p * r + new Vector<float>(P3);
        p = p * r + new Vector<float>(P4);
        p = p * r + new Vector<float>(P5);
        var e = p * (r * r) + r + Vector<float>.One;
        // n is a whole number within ±87 (or NaN, where e is NaN whatever the scale): the plain
        // conversion, without the saturating fix-ups of Vector.ConvertToInt32.
        var scale = Vector.ShiftLeft(Vector.ConvertToInt32Native(n) + new Vector<int>(127), 23);
        return e * Vector.AsVectorSingle(scale);
    }

    /// <summary>The same as <see cref="Exp(Vector{float})"/>, sixteen lanes at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var low = Vector512.Create(-Limit);
        var high = Vector512.Create(Limit);
        var t = Vector512.ConditionalSelect(Vector512.LessThan(x, low), low, x);
        t = Vector512.ConditionalSelect(Vector512.GreaterThan(t, high), high, t);
        var n = Vector512.Round(t * Vector512.Create(Log2E));
        var r = t - n * Vector512.Create(Ln2High) - n * Vector512.Create(Ln2Low);
        var p = Vector512.Create(P0);
        p = p * r + Vector512.Create(P1);
        p = p * r + Vector512.Create(P2);
        p = p * r + Vector512.Create(P3);
        p = p * r + Vector512.Create(P4);
        p = p * r + Vector512.Create(P5);
        var e = p * (r * r) + r + Vector512<float>.One;
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n) + Vector512.Create(127), 23);
        return e * scale.AsSingle();
    }

    public static float Exp(float x)
    {
        float t = MathF.Min(MathF.Max(x, -Limit), Limit);
        float n = MathF.Round(t * Log2E);
        float r = t - n * Ln2High - n * Ln2Low;
        float p = P0;
        p = p * r + P1;
        p = p * r + P2;
        p = p * r + P3;
        p = p * r + P4;
        p = p * r + P5;
        float e = p * (r * r) + r + 1f;
        return e * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>
    /// ln(1 + e) for e in [0, 1] (softplus's tail): 2 atanh(s) as an odd series in s, with
    /// s = e / (2 + e), or, above e = √2 - 1, ln 2 + 2 atanh((e - 1) / (e + 3)), so |s| stays under 0.172.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> LogOnePlus(Vector<float> e)
    {
        var high = Vector.GreaterThan(e, new Vector<float>(0.41421356f));
        // One division of the chosen operands, not one per branch: the same quotient, one division fewer per value.
        var s = Vector.ConditionalSelect(high, e - Vector<float>.One, e) / (e + Vector.ConditionalSelect(high, new Vector<float>(3f), new Vector<float>(2f)));
        var s2 = s * s;
        var q = new Vector<float>(1f / 9f);
        q = q * s2 + new Vector<float>(1f / 7f);
        q = q * s2 + new Vector<float>(1f / 5f);
        q = q * s2 + new Vector<float>(1f / 3f);
        q = q * s2 + Vector<float>.One;
        var log = (s + s) * q;
        return Vector.ConditionalSelect(high, log + new Vector<float>(Ln2), log);
    }

    /// <summary>The same as <see cref="LogOnePlus(Vector{float})"/>, sixteen lanes at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LogOnePlus(Vector512<float> e)
    {
        var high = Vector512.GreaterThan(e, Vector512.Create(0.41421356f));
        var s = Vector512.ConditionalSelect(high, e - Vector512<float>.One, e) / (e + Vector512.ConditionalSelect(high, Vector512.Create(3f), Vector512.Create(2f)));
        var s2 = s * s;
        var q = Vector512.Create(1f / 9f);
        q = q * s2 + Vector512.Create(1f / 7f);
        q = q * s2 + Vector512.Create(1f / 5f);
        q = q * s2 + Vector512.Create(1f / 3f);
        q = q * s2 + Vector512<float>.One;
        var log = (s + s) * q;
        return Vector512.ConditionalSelect(high, log + Vector512.Create(Ln2), log);
    }

    public static float LogOnePlus(float e)
    {
        bool high = e > 0.41421356f;
        float s = high ? (e - 1f) / (e + 3f) : e / (e + 2f);
        float s2 = s * s;
        float q = 1f / 9f;
        q = q * s2 + 1f / 7f;
        q = q * s2 + 1f / 5f;
        q = q * s2 + 1f / 3f;
        q = q * s2 + 1f;
        float log = (s + s) * q;
        return high ? log + Ln2 : log;
    }
}
