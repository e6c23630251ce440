using System.Numerics;
using System.Runtime.Intrinsics;
using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Tests.Backends;

public class FloatMathTests
{
    private static float[] Spread(int count, double low, double high, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(low + random.NextDouble() * (high - low))).ToArray();
    }

    private static float[] Vectorised(float[] x, Func<Vector<float>, Vector<float>> f)
    {
        var y = new float[x.Length];
        int w = Vector<float>.Count, i = 0;
        for (; i + w <= x.Length; i += w) f(new Vector<float>(x, i)).CopyTo(y, i);
        Assert.Equal(x.Length, i); // the spreads are whole vectors
        return y;
    }

    [Fact]
    public void Exp_is_within_a_few_ulp_over_the_range_of_floats_and_vectors_agree_with_scalars()
    {
        float[] x = [.. Spread(4096, -87, 87, 1), .. Spread(4096, -3, 3, 2), 0f, -0f, 1f, -1f, 86.99f, -86.99f, 0.34657359f, -0.34657359f];
        x = x[..(x.Length / Vector<float>.Count * Vector<float>.Count)];
        float[] vector = Vectorised(x, FloatMath.Exp);
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            Assert.True(Math.Abs(vector[i] - exact) <= 3e-7 * exact, $"exp({x[i]}) = {vector[i]}, exactly {exact}");
            Assert.Equal(vector[i], FloatMath.Exp(x[i]));
        }
    }

    [Fact]
    public void Log_one_plus_is_within_a_few_ulp_on_softpluss_tail_and_vectors_agree_with_scalars()
    {
        float[] e = [.. Spread(4096, 0, 1, 3), .. Spread(4096, 0, 1e-3, 4), 0f, 1f, 0.41421356f, 0.41421357f, 1e-30f, 1e-7f];
        e = e[..(e.Length / Vector<float>.Count * Vector<float>.Count)];
        float[] vector = Vectorised(e, FloatMath.LogOnePlus);
        for (int i = 0; i < e.Length; i++)
        {
            double exact = Math.Log(1 + (double)e[i]);
            Assert.True(Math.Abs(vector[i] - exact) <= 3e-7 * exact + 1e-45, $"ln(1 + {e[i]}) = {vector[i]}, exactly {exact}");
            Assert.Equal(vector[i], FloatMath.LogOnePlus(e[i]));
        }
    }

    [Fact]
    public void Exp_of_every_kind_of_float_gives_the_scalar_forms_bits_in_a_vector()
    {
        // Bit patterns spread over the whole float line (both signs, subnormals, infinities, NaNs),
        // plus the clamp's edges: the vector clamp is a compare and select, the scalar one MathF.
        var x = new List<float> { float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 87f, -87f, 87.00001f, -87.00001f, float.Epsilon, -float.Epsilon };
        for (long bits = 0; bits <= uint.MaxValue; bits += 65_521) x.Add(BitConverter.UInt32BitsToSingle((uint)bits));
        while (x.Count % Vector512<float>.Count != 0) x.Add(1f);
        float[] values = [.. x];
        float[] vector = Vectorised(values, FloatMath.Exp);
        // The 512-bit form, whether the processor runs it in one register or emulates it.
        var wide = new float[x.Count];
        for (int i = 0; i < x.Count; i += Vector512<float>.Count) FloatMath.Exp(Vector512.Create(values, i)).CopyTo(wide, i);
        for (int i = 0; i < x.Count; i++)
        {
            float scalar = FloatMath.Exp(x[i]);
            foreach (var (form, value) in new[] { ("vector", vector[i]), ("512-bit", wide[i]) })
            {
                if (float.IsNaN(x[i])) Assert.True(float.IsNaN(value), $"exp(NaN {BitConverter.SingleToUInt32Bits(x[i]):x8}) = {value} ({form})");
                else Assert.True(BitConverter.SingleToUInt32Bits(value) == BitConverter.SingleToUInt32Bits(scalar), $"exp({x[i]:R}): {form} {value:R}, scalar {scalar:R}");
            }
        }
    }

    [Fact]
    public void Exp_saturates_instead_of_overflowing()
    {
        Assert.True(float.IsFinite(FloatMath.Exp(200f)));
        Assert.True(FloatMath.Exp(-200f) is >= 0f and < 1e-37f);
        Assert.True(float.IsNaN(FloatMath.Exp(float.NaN)));
        var vector = FloatMath.Exp(new Vector<float>(float.NaN));
        for (int i = 0; i < Vector<float>.Count; i++) Assert.True(float.IsNaN(vector[i]));
        Assert.True(FloatMath.Exp(new Vector<float>(200f))[0] == FloatMath.Exp(200f));
    }
}
