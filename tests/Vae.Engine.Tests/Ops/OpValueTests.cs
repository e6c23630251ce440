using Vae.Engine.Backends;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Ops;

/// <summary>Forward values against plain formulas, and the behaviour at the edges, on every backend.</summary>
public abstract class OpValueTests(string backend) : BackendTests(backend)
{
    private Tensor Full(int[] shape, float value) => Tensor.Full(shape, value, Backend);

    [SkippableFact]
    public void Bce_on_logits_equals_bce_on_sigmoid_probabilities()
    {
        var l = Range([4, 10], -5, 5); var t = Constant(4, 10);
        float a = F.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum).Item();
        float b = F.BinaryCrossEntropy(l.Sigmoid(), t, Reduction.Sum).Item();
        Assert.Equal(b, a, 3);
    }

    [SkippableFact]
    public void Bce_on_logits_stays_finite_for_huge_logits()
    {
        var l = From([1000f, -1000f, 80f], 3);
        var t = From([1f, 0f, 0f], 3);
        Assert.Equal(80f, F.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum).Item(), 3);
    }

    [SkippableFact]
    public void Bce_on_probabilities_clamps_log_zero_at_minus_100_like_pytorch()
    {
        var p = From([0f, 1f], 2);
        var t = From([1f, 0f], 2);
        Assert.Equal(200f, F.BinaryCrossEntropy(p, t, Reduction.Sum).Item(), 3);
    }

    [SkippableFact]
    public void Kl_closed_form_matches_the_formula()
    {
        var mu = From([0.5f, -1f], 1, 2);
        var lv = From([0.2f, -0.3f], 1, 2);
        double expected = 0;
        foreach (var (m, v) in new[] { (0.5, 0.2), (-1.0, -0.3) }) expected += -0.5 * (1 + v - m * m - Math.Exp(v));
        Assert.Equal(expected, F.KlStandardNormal(mu, lv).Item(), 5);
    }

    [SkippableFact]
    public void Kl_monte_carlo_estimate_averages_to_the_closed_form()
    {
        const int n = 200_000;
        var mu = Full([n], 0.7f); var lv = Full([n], -0.4f);
        var z = F.Reparameterize(mu, lv, new Generator(11));
        var std = (lv * 0.5f).Exp();
        double mc = F.KlMonteCarlo(z, mu, std).Item() / n;
        double exact = F.KlStandardNormal(mu, lv).Item() / n;
        Assert.True(Math.Abs(mc - exact) < 0.01, $"Monte-Carlo {mc} vs closed form {exact}");
    }

    [SkippableFact]
    public void Reparameterized_samples_have_the_requested_mean_and_spread()
    {
        const int n = 100_000;
        var z = F.Reparameterize(Full([n], 2f), Full([n], MathF.Log(0.25f)), new Generator(5)).ToArray();
        double mean = z.Average(), sd = Math.Sqrt(z.Select(v => (v - mean) * (v - mean)).Average());
        Assert.Equal(2.0, mean, 1);
        Assert.Equal(0.5, sd, 1);
    }

    [SkippableFact]
    public void Gaussian_nll_with_constant_is_the_true_log_density()
    {
        var mean = From([0.2f], 1); var x = From([0.5f], 1);
        double sigma = 0.3, expected = 0.09 / (2 * sigma * sigma) + Math.Log(sigma * Math.Sqrt(2 * Math.PI));
        Assert.Equal(expected, F.GaussianNll(mean, x, 0.3f).Item(), 5);
        Assert.Equal(0.09 / (2 * sigma * sigma), F.GaussianNll(mean, x, 0.3f, includeConstant: false).Item(), 5);
    }

    [SkippableFact]
    public void Broadcasting_follows_numpy_rules()
    {
        var a = From([1f, 2f, 3f], 3, 1);
        var b = From([10f, 20f], 2);
        Assert.Equal([11f, 21f, 12f, 22f, 13f, 23f], (a + b).ToArray());
        Assert.Equal([3, 2], (a * b).Shape);
        Assert.Throws<ArgumentException>(() => Full([3, 2], 0) + Full([3], 0));
    }

    [SkippableFact]
    public void Sums_along_dimensions()
    {
        var x = From([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.Equal([5f, 7f, 9f], x.Sum(0).ToArray());
        Assert.Equal([6f, 15f], x.Sum(1).ToArray());
        Assert.Equal([2, 1], x.Sum(1, keepDim: true).Shape);
        Assert.Equal(21f, x.Sum().Item());
        Assert.Equal(3.5f, x.Mean().Item());
    }

    [SkippableFact]
    public void Max_and_arg_max_pick_the_first_of_equal_values()
    {
        var x = From([1f, 5f, 5f, 2f, -1f, -3f, -1f, -2f], 2, 4);
        Assert.Equal([5f, -1f], x.Max(1).ToArray());
        Assert.Equal([1f, 0f], F.ArgMax(x, 1).ToArray());
        var leaf = Vae.Engine.Nn.Init.Parameter([2, 4], x.ToArray(), Backend);
        leaf.Max(1).Sum().Backward();
        Assert.Equal([0f, 1f, 0f, 0f, 1f, 0f, 0f, 0f], leaf.Grad!.ToArray());
    }

    [SkippableFact]
    public void Cat_and_narrow_place_rows_and_columns()
    {
        var a = From([1f, 2f, 3f, 4f], 2, 2);
        var b = From([5f, 6f], 2, 1);
        Assert.Equal([1f, 2f, 5f, 3f, 4f, 6f], Tensor.Cat([a, b], 1).ToArray());
        Assert.Equal([3f, 4f], a.Narrow(0, 1, 1).ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.Cat([a, b], 0));
    }

    [SkippableFact]
    public void Views_share_memory_and_read_through_their_strides()
    {
        var x = From([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var t = x.T;
        Assert.False(t.IsContiguous);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.ToArray());
        Assert.Equal([2f, 5f], x.Narrow(1, 1, 1).ToArray());
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f], x.Narrow(0, 0, 1).Expand(2, 3).ToArray());
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.Reshape(6).ToArray());
        x.CopyFrom([9f, 2f, 3f, 4f, 5f, 6f]);
        Assert.Equal(9f, t.ToArray()[0]); // the view sees the write
    }

    [SkippableFact]
    public void Expanding_a_size_other_than_one_is_refused()
    {
        var x = Full([2, 3], 1);
        var e = Assert.Throws<ArgumentException>(() => x.Expand(4, 3));
        Assert.Contains("only size 1", e.Message);
    }

    [SkippableFact]
    public void Softplus_is_stable_at_both_ends()
    {
        var y = From([-100f, 0f, 100f], 3).Softplus().ToArray();
        Assert.Equal(0f, y[0], 6);
        Assert.Equal(MathF.Log(2f), y[1], 5);
        Assert.Equal(100f, y[2], 3);
    }

    [SkippableFact]
    public void Conv2d_refuses_a_kernel_larger_than_the_padded_input()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(Full([1, 1, 3, 3], 1), Full([1, 1, 5, 5], 1)));
        Assert.Contains("does not fit", e.Message);
    }

    [SkippableFact]
    public void Dropout_keeps_about_one_minus_p_and_rescales_them()
    {
        var x = Full([100_000], 1);
        var y = F.Dropout(x, 0.25f, training: true, new Generator(3)).ToArray();
        double kept = y.Count(v => v != 0) / (double)y.Length;
        Assert.Equal(0.75, kept, 2);
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1f / 0.75f, v, 5));
        Assert.Same(x, F.Dropout(x, 0.25f, training: false, new Generator(3)));
    }

    [SkippableFact]
    public void Random_fills_are_the_same_stream_whatever_their_split()
    {
        var whole = Tensor.RandN(new Generator(9), [1003], Backend).ToArray();
        var g = new Generator(9);
        var first = Tensor.RandN(g, [400], Backend).ToArray();   // 100 blocks
        var rest = Tensor.RandN(g, [603], Backend).ToArray();
        Assert.Equal(whole.AsSpan(0, 400).ToArray(), first);
        Assert.Equal(whole.AsSpan(400).ToArray(), rest);
        var reference = new float[1003];
        var (key, counter) = new Generator(9).Reserve(1003);
        Philox.Fill(reference, 0, RandomDistribution.Normal, key, counter);
        Assert.Equal(reference, whole);
    }

    [SkippableTheory]
    [InlineData(2560, 2)] // a training batch's noise, 128 x 20
    [InlineData(5003, 3)]
    public void A_normal_fill_shared_among_threads_is_the_one_stream(int count, int threads)
    {
        float[] shared;
        using (ThreadBudget.Use(threads)) shared = Tensor.RandN(new Generator(21), [count], Backend).ToArray();
        var reference = new float[count];
        var (key, counter) = new Generator(21).Reserve(count);
        Philox.Fill(reference, 0, RandomDistribution.Normal, key, counter);
        Assert.Equal(reference, shared);
    }

    // Kernel widths 1 to 5 (block copies of every width, and the vector paths for 3 and 4), strides
    // below, at and above the width, padding that leaves windows hanging over both sides, dilation.
    [SkippableTheory]
    [InlineData(2, 9, 11, 4, 4, 2, 2, 1, 1, 1, 1)]   // the conv VAE's 4x4, stride 2, padding 1
    [InlineData(3, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1)]    // ResNet's stride-2 3x3
    [InlineData(2, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1)]
    [InlineData(4, 6, 5, 1, 1, 2, 2, 0, 0, 1, 1)]    // a 1x1 shortcut with stride 2
    [InlineData(1, 10, 12, 5, 2, 3, 1, 2, 1, 1, 1)]
    [InlineData(2, 9, 10, 3, 4, 1, 2, 2, 3, 2, 1)]
    [InlineData(1, 12, 13, 2, 3, 2, 3, 1, 2, 2, 2)]
    public void Unfold_places_every_window_value_where_a_plain_loop_does_and_fold_is_its_adjoint(
        int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        const float pad = -0.25f;
        var x = Range([2, c, h, w], -1, 1);
        var values = x.ToArray();
        var unfolded = F.Unfold(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), pad); // (N, C*kh*kw, L)
        int outH = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, outW = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        Assert.Equal([2, c * kh * kw, outH * outW], unfolded.Shape);
        var got = F.Contiguous(unfolded).ToArray();
        int i = 0;
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < c; ch++)
                for (int ki = 0; ki < kh; ki++)
                    for (int kj = 0; kj < kw; kj++)
                        for (int oh = 0; oh < outH; oh++)
                            for (int ow = 0; ow < outW; ow++, i++)
                            {
                                int ih = oh * sh - ph + ki * dh, iw = ow * sw - pw + kj * dw;
                                float expected = ih >= 0 && ih < h && iw >= 0 && iw < w ? values[((n * c + ch) * h + ih) * w + iw] : pad;
                                Assert.True(expected == got[i], $"window value ({n}, {ch}, {ki}, {kj}) at ({oh}, {ow}): expected {expected}, got {got[i]}");
                            }

        // <unfold(x), y> = <x, fold(y)>: the gradient of the unfold is the fold, which adds each value back.
        var y = Range(unfolded.Shape, -1, 1);
        F.Sum(F.Mul(unfolded, y)).Backward();
        double dot = 0, expectedDot = 0;
        var yValues = y.ToArray();
        for (int j = 0; j < got.Length; j++) if (IsInside(j)) expectedDot += (double)got[j] * yValues[j];
        var grad = x.Grad!.ToArray();
        for (int j = 0; j < values.Length; j++) dot += (double)values[j] * grad[j];
        Assert.Equal(expectedDot, dot, 3);

        // Whether flat index j of the (N, C*kh*kw, L) result reads a pixel (not the padding).
        bool IsInside(int j)
        {
            int ow = j % outW, oh = j / outW % outH, kj = j / (outW * outH) % kw, ki = j / (outW * outH * kw) % kh;
            int ih = oh * sh - ph + ki * dh, iw = ow * sw - pw + kj * dw;
            return ih >= 0 && ih < h && iw >= 0 && iw < w;
        }
    }
}

public sealed class CpuOpValueTests() : OpValueTests("cpu");

public sealed class CpuComposedOpValueTests() : OpValueTests("cpu-composed");

public sealed class IlgpuCpuOpValueTests() : OpValueTests("ilgpu-cpu");

/// <summary>Skipped, with the reason, where no CUDA device answers.</summary>
public sealed class CudaOpValueTests() : OpValueTests("cuda");
