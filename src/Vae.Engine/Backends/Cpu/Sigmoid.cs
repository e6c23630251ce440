using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The logistic function 1 / (1 + e^-x) in single precision, within 2e-7 relative of the exact value
/// (about 2 ulp; PyTorch's vectorised sigmoid is within 1).
/// </summary>
/// <remarks>
/// TensorPrimitives.Sigmoid takes its exponential in double precision, which made the decoder's
/// output activation cost a third of its matrix product when serving a grid. Here e^-x is taken as
/// 2^n e^r with |r| &lt;= ln2 / 2 and a degree-7 polynomial for e^r, all in single precision. Every
/// path (512-bit, 256-bit, one value at a time) does the same operations in the same order, so a
/// value's result does not depend on where it sits in the span.
/// </remarks>
internal static class Sigmoid
{
    // Beyond ±87, e^-x would overflow the exponent (or go subnormal); the result is 0 or 1 to float precision there anyway.
    private const float Limit = 87f;
    private const float Log2E = 1.44269504088896341f;

    // ln 2 in two parts: the first has few enough bits that n * Ln2High is exact for |n| <= 128.
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;

    // Taylor-like coefficients of e^r on [-ln2/2, ln2/2], minimax-adjusted (the classic single-precision set).
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    public static void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(y));
        ref float source = ref MemoryMarshal.GetReference(x);
        ref float target = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= x.Length; i += 16) Of(Vector512.LoadUnsafe(ref source, (nuint)i)).StoreUnsafe(ref target, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= x.Length; i += 8) Of(Vector256.LoadUnsafe(ref source, (nuint)i)).StoreUnsafe(ref target, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] = Of(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Of(Vector512<float> x)
    {
        // NaN fails both comparisons and is carried through to the result, as PyTorch's is.
        var t = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(Limit)), Vector512.Create(Limit), x);
        t = -Vector512.ConditionalSelect(Vector512.LessThan(t, Vector512.Create(-Limit)), Vector512.Create(-Limit), t);
        var n = Vector512.Round(t * Vector512.Create(Log2E));
        var r = t - n * Vector512.Create(Ln2High) - n * Vector512.Create(Ln2Low);
        var p = Vector512.Create(P0);
        p = p * r + Vector512.Create(P1);
        p = p * r + Vector512.Create(P2);
        p = p * r + Vector512.Create(P3);
        p = p * r + Vector512.Create(P4);
        p = p * r + Vector512.Create(P5);
        var e = p * (r * r) + r + Vector512<float>.One;
        var scale = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return Vector512<float>.One / (Vector512<float>.One + e * scale.AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Of(Vector256<float> x)
    {
        var t = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(Limit)), Vector256.Create(Limit), x);
        t = -Vector256.ConditionalSelect(Vector256.LessThan(t, Vector256.Create(-Limit)), Vector256.Create(-Limit), t);
        var n = Vector256.Round(t * Vector256.Create(Log2E));
        var r = t - n * Vector256.Create(Ln2High) - n * Vector256.Create(Ln2Low);
        var p = Vector256.Create(P0);
        p = p * r + Vector256.Create(P1);
        p = p * r + Vector256.Create(P2);
        p = p * r + Vector256.Create(P3);
        p = p * r + Vector256.Create(P4);
        p = p * r + Vector256.Create(P5);
        var e = p * (r * r) + r + Vector256<float>.One;
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return Vector256<float>.One / (Vector256<float>.One + e * scale.AsSingle());
    }

    internal static float Of(float x)
    {
        float t = x > Limit ? Limit : x;
        t = -(t < -Limit ? -Limit : t);
        float n = MathF.Round(t * Log2E);
        float r = t - n * Ln2High - n * Ln2Low;
        float p = P0;
        p = p * r + P1;
        p = p * r + P2;
        p = p * r + P3;
        p = p * r + P4;
        p = p * r + P5;
        float e = p * (r * r) + r + 1f;
        float scale = BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
        return 1f / (1f + e * scale);
    }
}
