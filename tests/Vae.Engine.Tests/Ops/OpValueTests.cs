using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Ops;

/// <summary>Forward values: fused ops equal their composed forms, and ops equal plain formulas.</summary>
public class OpValueTests
{
    private static readonly Generator G = new(3);

    private static Tensor Rand(int[] shape, float low = -1, float high = 1) => GradCheck.Input(G, shape, low, high);

    private static void Close(float[] expected, float[] actual, float tol = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tol * (1 + MathF.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Fused_linear_equals_matmul_plus_bias_then_activation(Activation activation)
    {
        var x = Rand([7, 9]); var w = Rand([5, 9]); var b = Rand([5]);
        var fused = F.Linear(x, w, b, activation, 0.05f).ToArray();
        var wT = Tensor.FromArray(Transpose(w.ToArray(), 5, 9), 9, 5);
        var composed = F.Activate(x.MatMul(wT) + b, activation, 0.05f).ToArray();
        Close(composed, fused);
    }

    [Fact]
    public void Bce_on_logits_equals_bce_on_sigmoid_probabilities()
    {
        var l = Rand([4, 10], -5, 5); var t = Rand([4, 10], 0, 1);
        float a = F.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum).Item();
        float b = F.BinaryCrossEntropy(l.Sigmoid(), t, Reduction.Sum).Item();
        Assert.Equal(b, a, 3);
    }

    [Fact]
    public void Bce_training_path_gives_the_same_loss_and_gradient_as_the_general_one()
    {
        var l = Rand([7, 5000], -8, 8); var t = Rand([7, 5000], 0, 1);
        var fused = F.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum);
        fused.Backward();
        var fusedGrad = l.Grad!.ToArray();
        float general;
        using (Autograd.NoGrad()) general = F.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum).Item();
        Assert.Equal(general, fused.Item(), 0);
        Assert.True(MathF.Abs(general - fused.Item()) < 1e-5f * general);
        var probabilities = l.Sigmoid().ToArray(); var targets = t.ToArray();
        for (int i = 0; i < fusedGrad.Length; i++) Assert.Equal(probabilities[i] - targets[i], fusedGrad[i], 5);
    }

    [Fact]
    public void Bce_on_logits_stays_finite_for_huge_logits()
    {
        var l = Tensor.FromArray([1000f, -1000f, 80f], 3);
        var t = Tensor.FromArray([1f, 0f, 0f], 3);
        Assert.Equal(80f, F.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum).Item(), 3);
    }

    [Fact]
    public void Bce_on_probabilities_clamps_log_zero_at_minus_100_like_pytorch()
    {
        var p = Tensor.FromArray([0f, 1f], 2);
        var t = Tensor.FromArray([1f, 0f], 2);
        Assert.Equal(200f, F.BinaryCrossEntropy(p, t, Reduction.Sum).Item(), 3);
    }

    [Fact]
    public void Kl_closed_form_matches_the_formula()
    {
        var mu = Tensor.FromArray([0.5f, -1f], 1, 2);
        var lv = Tensor.FromArray([0.2f, -0.3f], 1, 2);
        double expected = 0;
        foreach (var (m, v) in new[] { (0.5, 0.2), (-1.0, -0.3) }) expected += -0.5 * (1 + v - m * m - Math.Exp(v));
        Assert.Equal(expected, F.KlStandardNormal(mu, lv).Item(), 5);
    }

    [Fact]
    public void Kl_monte_carlo_estimate_averages_to_the_closed_form()
    {
        const int n = 200_000;
        var mu = Tensor.Full([n], 0.7f); var lv = Tensor.Full([n], -0.4f);
        var z = F.Reparameterize(mu, lv, new Generator(11));
        var std = (lv * 0.5f).Exp();
        double mc = F.KlMonteCarlo(z, mu, std).Item() / n;
        double exact = F.KlStandardNormal(mu, lv).Item() / n;
        Assert.True(Math.Abs(mc - exact) < 0.01, $"Monte-Carlo {mc} vs closed form {exact}");
    }

    [Fact]
    public void Reparameterized_samples_have_the_requested_mean_and_spread()
    {
        const int n = 100_000;
        var z = F.Reparameterize(Tensor.Full([n], 2f), Tensor.Full([n], MathF.Log(0.25f)), new Generator(5)).ToArray();
        double mean = z.Average(), sd = Math.Sqrt(z.Select(v => (v - mean) * (v - mean)).Average());
        Assert.Equal(2.0, mean, 1);
        Assert.Equal(0.5, sd, 1);
    }

    [Fact]
    public void Gaussian_nll_with_constant_is_the_true_log_density()
    {
        var mean = Tensor.FromArray([0.2f], 1); var x = Tensor.FromArray([0.5f], 1);
        double sigma = 0.3, expected = 0.09 / (2 * sigma * sigma) + Math.Log(sigma * Math.Sqrt(2 * Math.PI));
        Assert.Equal(expected, F.GaussianNll(mean, x, 0.3f).Item(), 5);
        Assert.Equal(0.09 / (2 * sigma * sigma), F.GaussianNll(mean, x, 0.3f, includeConstant: false).Item(), 5);
    }

    [Fact]
    public void Broadcasting_follows_numpy_rules()
    {
        var a = Tensor.FromArray([1f, 2f, 3f], 3, 1);
        var b = Tensor.FromArray([10f, 20f], 2);
        Assert.Equal([11f, 21f, 12f, 22f, 13f, 23f], (a + b).ToArray());
        Assert.Equal([3, 2], (a * b).Shape);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 2) + Tensor.Zeros(3));
    }

    [Fact]
    public void Sums_along_dimensions()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.Equal([5f, 7f, 9f], x.Sum(0).ToArray());
        Assert.Equal([6f, 15f], x.Sum(1).ToArray());
        Assert.Equal([2, 1], x.Sum(1, keepDim: true).Shape);
        Assert.Equal(21f, x.Sum().Item());
        Assert.Equal(3.5f, x.Mean().Item());
    }

    [Fact]
    public void Cat_and_narrow_place_rows_and_columns()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var b = Tensor.FromArray([5f, 6f], 2, 1);
        Assert.Equal([1f, 2f, 5f, 3f, 4f, 6f], Tensor.Cat([a, b], 1).ToArray());
        Assert.Equal([3f, 4f], a.Narrow(0, 1, 1).ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.Cat([a, b], 0));
    }

    [Fact]
    public void Softplus_is_stable_at_both_ends()
    {
        var y = Tensor.FromArray([-100f, 0f, 100f], 3).Softplus().ToArray();
        Assert.Equal(0f, y[0], 6);
        Assert.Equal(MathF.Log(2f), y[1], 5);
        Assert.Equal(100f, y[2], 3);
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
