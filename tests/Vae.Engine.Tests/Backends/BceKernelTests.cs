using System.Numerics;
using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Tests.Backends;

public class BceKernelTests
{
    /// <summary>
    /// The loss as eight-lane sums over fixed blocks: each lane adds its values in order, the lanes
    /// meet in Vector.Sum, the tail is added one value at a time, and the blocks in order in double.
    /// Every term from the scalar forms, which give the vector forms' bits (FloatMathTests).
    /// </summary>
    private static (float Loss, float[] Gradient) Reference(float[] l, float[] t)
    {
        int w = Vector<float>.Count, block = CpuBackend.BceBlock;
        var gradient = new float[l.Length];
        double total = 0;
        for (int start = 0; start < l.Length; start += block)
        {
            int end = Math.Min(start + block, l.Length), i = start;
            var lanes = new float[w];
            for (; i <= end - w; i += w)
                for (int j = 0; j < w; j++) lanes[j] += Term(l[i + j], t[i + j]);
            float sum = Vector.Sum(new Vector<float>(lanes));
            for (; i < end; i++) sum += Term(l[i], t[i]);
            total += sum;
        }
        for (int i = 0; i < l.Length; i++)
        {
            float e = FloatMath.Exp(-MathF.Abs(l[i]));
            gradient[i] = (l[i] >= 0 ? 1f : e) / (1 + e) - t[i];
        }
        return ((float)total, gradient);

        static float Term(float l, float t) => (l > 0 ? l : 0f) - t * l + FloatMath.LogOnePlus(FloatMath.Exp(-MathF.Abs(l)));
    }

    [Theory]
    [InlineData(1, 37)]
    [InlineData(1, 3 * 4096 + 16 * 5 + 8 + 3)]
    [InlineData(2, 3 * 4096 + 16 * 5 + 8 + 3)]
    [InlineData(2, 100_352)]
    public void Loss_and_gradient_have_the_bits_of_eight_lane_sums_whatever_the_vector_width_and_threads(int threads, int count)
    {
        // Logits over the whole range a decoder produces and past the exponential's clamp, targets
        // in [0, 1] (pixels); a count that leaves sixteen-lane, eight-lane and scalar pieces in a block.
        var random = new Random(count);
        float[] l = Enumerable.Range(0, count).Select(i => (float)((random.NextDouble() - 0.5) * (i % 7 == 0 ? 240 : 30))).ToArray();
        float[] t = Enumerable.Range(0, count).Select(_ => random.Next(4) == 0 ? 0f : (float)random.NextDouble()).ToArray();
        var (expectedLoss, expectedGradient) = Reference(l, t);

        var backend = CpuBackend.Instance;
        BufferRef Put(float[] values) { var r = new BufferRef(backend.Allocate(values.Length), 0); backend.Upload(values, r); return r; }
        BufferRef logits = Put(l), targets = Put(t), result = Put([float.NaN]), gradient = Put(new float[count]);
        using (ThreadBudget.Use(threads)) backend.BceWithLogitsAndGradient(logits, targets, count, result, gradient);
        var loss = new float[1];
        var grad = new float[count];
        backend.Download(result, loss);
        backend.Download(gradient, grad);

        Assert.Equal(BitConverter.SingleToUInt32Bits(expectedLoss), BitConverter.SingleToUInt32Bits(loss[0]));
        for (int i = 0; i < count; i++)
            Assert.True(BitConverter.SingleToUInt32Bits(expectedGradient[i]) == BitConverter.SingleToUInt32Bits(grad[i]), $"gradient {i} (logit {l[i]:R}, target {t[i]:R}): {grad[i]:R}, expected {expectedGradient[i]:R}");
    }
}
