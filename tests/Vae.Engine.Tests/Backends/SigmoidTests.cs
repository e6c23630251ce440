using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Tests.Backends;

public class SigmoidTests
{
    private static float[] Values()
    {
        var random = new Random(12);
        var values = new List<float> { 0f, -0f, 1e-30f, -1e-30f, 0.5f, -0.5f, 20f, -20f, 86.9f, -86.9f, 87f, -87f, 88f, -88f, 100f, -100f, 1e30f, -1e30f };
        for (int i = 0; i < 5000; i++) values.Add((float)((random.NextDouble() - 0.5) * 60));
        for (int i = 0; i < 1000; i++) values.Add((float)((random.NextDouble() - 0.5) * 200));
        return values.ToArray();
    }

    [Fact]
    public void Sigmoid_is_within_a_few_ulp_of_the_exact_value_everywhere()
    {
        float[] x = Values(), y = new float[x.Length];
        Pointwise.Map<SigmoidRule>(x, y, 0f);
        for (int i = 0; i < x.Length; i++)
        {
            double exact = 1 / (1 + Math.Exp(-(double)x[i]));
            // Relative where the value is a normal float; below that (x under -87) anything that small is 0 to the models.
            double error = exact > 1e-37 ? Math.Abs(y[i] - exact) / exact : Math.Abs(y[i] - exact);
            Assert.True(error <= 3e-7 || (exact < 1e-37 && y[i] < 1e-37f), $"sigmoid({x[i]}) = {y[i]}, exactly {exact}");
        }
    }

    [Fact]
    public void Infinities_give_0_and_1_and_nan_stays_nan()
    {
        // Three at a time along a span long enough for the vector loop and its tail.
        float[] special = [float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        float[] x = Enumerable.Range(0, 66).Select(i => special[i % 3]).ToArray(), y = new float[x.Length];
        Pointwise.Map<SigmoidRule>(x, y, 0f);
        for (int i = 0; i < x.Length; i += 3)
        {
            Assert.Equal(1f, y[i]);
            Assert.True(y[i + 1] >= 0f && y[i + 1] < 1e-37f, $"sigmoid(-inf) = {y[i + 1]} at {i + 1}");
            Assert.True(float.IsNaN(y[i + 2]), $"sigmoid(NaN) = {y[i + 2]} at {i + 2}");
        }
    }

    [Fact]
    public void A_value_has_the_same_result_wherever_it_sits_in_the_span()
    {
        float[] x = Values(), whole = new float[x.Length];
        Pointwise.Map<SigmoidRule>(x, whole, 0f);
        for (int offset = 1; offset < 20; offset += 3)
        {
            var shifted = new float[x.Length - offset];
            Pointwise.Map<SigmoidRule>(x.AsSpan(offset), shifted, 0f);
            Assert.Equal(whole.AsSpan(offset).ToArray(), shifted);
        }
        Assert.All(Enumerable.Range(0, 50), i => Assert.Equal(whole[i], SigmoidRule.Apply(x[i], 0f)));
    }

    [Fact]
    public void Sixteen_lanes_eight_lanes_and_the_scalar_tail_give_the_same_bits_with_a_bias_or_a_shift()
    {
        // 6,018 values: 376 sixteen-lane vectors, then with the offsets below the eight-lane loop and
        // the scalar tail take the last few. Every value is checked against the scalar form.
        float[] x = Values();
        var random = new Random(5);
        float[] bias = x.Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        for (int offset = 0; offset < 16; offset += 5)
        {
            var source = x.AsSpan(offset);
            var mapped = new float[source.Length];
            Pointwise.Map<SigmoidRule>(source, mapped, 0f);
            var biased = source.ToArray();
            Pointwise.BiasMap<SigmoidRule>(biased, bias.AsSpan(offset), 0f);
            var shifted = new float[source.Length];
            Pointwise.ShiftMap<SigmoidRule>(source, shifted, 0.25f, 0f);
            for (int i = 0; i < source.Length; i++)
            {
                Assert.True(Bits(mapped[i]) == Bits(SigmoidRule.Apply(source[i], 0f)), $"sigmoid({source[i]:R}) at {i} of offset {offset}: {mapped[i]:R}");
                Assert.True(Bits(biased[i]) == Bits(SigmoidRule.Apply(source[i] + bias[offset + i], 0f)), $"sigmoid({source[i]:R} + bias) at {i} of offset {offset}: {biased[i]:R}");
                Assert.True(Bits(shifted[i]) == Bits(SigmoidRule.Apply(source[i] + 0.25f, 0f)), $"sigmoid({source[i]:R} + 0.25) at {i} of offset {offset}: {shifted[i]:R}");
            }
        }
    }

    private static uint Bits(float value) => BitConverter.SingleToUInt32Bits(value);
}
