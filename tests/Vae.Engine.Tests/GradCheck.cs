using Vae.Engine.Backends.Cpu;
using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests;

/// <summary>
/// Checks an op's backward pass against central finite differences. The output is projected on a
/// fixed random direction w (the analytic side passes w as the output gradient), so every element
/// of the output takes part and one scalar is differentiated.
/// </summary>
public static class GradCheck
{
    /// <summary>A leaf that requires a gradient, uniform in [low, high) but at least avoidNearZero away from 0.</summary>
    public static Tensor Input(Generator g, int[] shape, float low = -1f, float high = 1f, float avoidNearZero = 0f, IBackend? backend = null)
        => Init.Parameter(shape, Values(g, shape, low, high, avoidNearZero), backend ?? CpuBackend.Instance);

    /// <summary>A tensor that takes no gradient, uniform in [low, high).</summary>
    public static Tensor Constant(Generator g, int[] shape, float low = 0f, float high = 1f, IBackend? backend = null)
        => Tensor.FromArray(Values(g, shape, low, high, 0f), shape, backend ?? CpuBackend.Instance);

    private static float[] Values(Generator g, int[] shape, float low, float high, float avoidNearZero)
    {
        var values = new float[ShapeOf.Count(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            float v;
            do v = low + (high - low) * g.NextFloat();
            while (MathF.Abs(v) < avoidNearZero);
            values[i] = v;
        }
        return values;
    }

    public static void Check(Func<Tensor[], Tensor> op, Tensor[] inputs, float step = 1e-2f, double absTol = 2e-3, double relTol = 2e-2, int seed = 7)
    {
        foreach (var t in inputs) t.Grad = null;
        var output = op(inputs);
        var g = new Generator((ulong)seed);
        var w = new float[output.Count];
        for (int i = 0; i < w.Length; i++) w[i] = 2f * g.NextFloat() - 1f;
        output.Backward(Tensor.FromArray(w, output.Shape, output.Backend));

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad) continue;
            Assert.True(x.Grad is not null, $"input {k} received no gradient");
            var analytic = x.Grad!.ToArray();
            var values = x.ToArray();
            foreach (int i in Probes(values.Length, g))
            {
                float original = values[i];
                values[i] = original + step; x.CopyFrom(values);
                double plus = Project(op, inputs, w);
                values[i] = original - step; x.CopyFrom(values);
                double minus = Project(op, inputs, w);
                values[i] = original; x.CopyFrom(values);
                double numeric = (plus - minus) / (2 * step);
                double tolerance = absTol + relTol * Math.Abs(numeric);
                Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                    $"input {k} element {i}: analytic {analytic[i]:G6} vs numeric {numeric:G6} (tolerance {tolerance:G3})");
            }
        }
    }

    /// <summary>Most elements probed one by one this many at most: past it, the ends and a seeded spread of the rest.</summary>
    public const int MaxProbes = 512;

    // Two evaluations per probe is cheap on the CPU but a few dozen kernel launches on a device: a large
    // input is checked at its first and last elements and at random ones between (the same ones every run).
    private static IEnumerable<int> Probes(int length, Generator g)
    {
        if (length <= MaxProbes) return Enumerable.Range(0, length);
        var chosen = new SortedSet<int>(Enumerable.Range(0, 64).Concat(Enumerable.Range(length - 64, 64)));
        while (chosen.Count < MaxProbes) chosen.Add(64 + (int)(g.NextFloat() * (length - 128)));
        return chosen;
    }

    private static double Project(Func<Tensor[], Tensor> op, Tensor[] inputs, float[] w)
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var y = op(inputs).ToArray();
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (double)y[i] * w[i];
        return sum;
    }
}
