using System.Numerics;
using System.Runtime.InteropServices;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The logistic function 1 / (1 + e^-x) in single precision, within 3e-7 relative of the exact value
/// (PyTorch's vectorised sigmoid is within about 1 ulp).
/// </summary>
/// <remarks>
/// TensorPrimitives.Sigmoid takes its exponential in double precision, which made the decoder's
/// output activation cost a third of its matrix product when serving a grid; this takes
/// <see cref="FloatMath.Exp(Vector{float})"/>. The vector and scalar paths do the same operations,
/// so a value's result does not depend on where it sits in the span; NaN stays NaN.
/// </remarks>
internal static class Sigmoid
{
    public static void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(y));
        var source = MemoryMarshal.Cast<float, Vector<float>>(x);
        var target = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (int v = 0; v < source.Length; v++) target[v] = Vector<float>.One / (Vector<float>.One + FloatMath.Exp(-source[v]));
        for (int i = source.Length * Vector<float>.Count; i < x.Length; i++) y[i] = Of(x[i]);
    }

    internal static float Of(float x) => 1f / (1f + FloatMath.Exp(-x));
}
