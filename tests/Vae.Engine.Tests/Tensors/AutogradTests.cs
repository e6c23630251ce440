using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Tensors;

public class AutogradTests
{
    [Fact]
    public void Gradients_accumulate_over_every_path_to_a_leaf()
    {
        var x = Init.Parameter([1], [3f], CpuBackend.Instance);
        var y = x * x + x * 2f; // dy/dx = 2x + 2 = 8
        y.Backward();
        Assert.Equal(8f, x.Grad!.Item());
    }

    [Fact]
    public void No_grad_scope_records_no_graph()
    {
        var x = Init.Parameter([2], [1f, 2f], CpuBackend.Instance);
        using (Autograd.NoGrad())
        {
            var y = (x * 3f).Sum();
            Assert.False(y.RequiresGrad);
            Assert.Throws<InvalidOperationException>(() => y.Backward());
        }
        Assert.True((x * 3f).Sum().RequiresGrad);
    }

    [Fact]
    public void Backward_of_a_vector_without_a_gradient_is_refused_with_a_reason()
    {
        var x = Init.Parameter([2], [1f, 2f], CpuBackend.Instance);
        var e = Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
        Assert.Contains("one-element", e.Message);
    }

    [Fact]
    public void A_tensor_scope_returns_buffers_that_the_next_step_reuses()
    {
        Vae.Engine.Backends.Storage first;
        using (TensorScope.Begin())
        {
            var t = Tensor.Zeros(12345);
            first = t.Storage;
        }
        using (TensorScope.Begin())
        {
            var t = Tensor.Zeros(12345);
            Assert.Same(first, t.Storage);
        }
    }

    [Fact]
    public void Using_a_tensor_after_its_scope_closed_is_an_error()
    {
        Tensor t;
        using (TensorScope.Begin()) t = Tensor.Ones(3);
        Assert.Throws<ObjectDisposedException>(() => t.ToArray());
    }

    [Fact]
    public void Parameters_and_their_gradients_survive_a_training_step_scope()
    {
        var w = Init.Parameter([3], [1f, 2f, 3f], CpuBackend.Instance);
        using (TensorScope.Begin())
        {
            (w * w).Sum().Backward();
        }
        Assert.Equal([2f, 4f, 6f], w.Grad!.ToArray());
        Assert.Equal([1f, 2f, 3f], w.ToArray());
    }

    [Fact]
    public void A_cleared_gradient_reads_as_zeros_until_the_next_backward_pass_writes_it()
    {
        var w = Init.Parameter([3], [1f, 2f, 3f], CpuBackend.Instance);
        (w * w).Sum().Backward();
        w.ZeroGrad();
        Assert.Equal([0f, 0f, 0f], w.Grad!.ToArray());
    }

    [Fact]
    public void Views_write_a_cleared_gradient_where_they_show_every_element_once_and_add_where_they_show_a_part()
    {
        // After ZeroGrad the buffer still holds the last step's values: a view that overwrote where it
        // should add (a narrow window), or added onto the stale values, would change the gradient.
        var w = Init.Parameter([2, 3], [1f, -2f, 3f, 0.5f, 4f, -1f], CpuBackend.Instance);
        var c = Tensor.FromArray([0.3f, -0.7f, 1.1f, 2f, -0.4f, 0.9f], 6);
        float[] Step(Func<Tensor> loss, bool clear = true)
        {
            if (clear) w.ZeroGrad();
            loss().Backward();
            return w.Grad!.ToArray();
        }
        Tensor ThroughReshape() => F.Sum(F.Mul(F.Reshape(w, 6), c));
        Tensor ThroughWindow() => F.Sum(F.Narrow(w, 1, 1, 2));
        Tensor ThroughPermutation() => F.Sum(F.Mul(F.Permute(w, 1, 0), F.Permute(w, 1, 0)));

        float[] viaReshape = Step(ThroughReshape);
        Assert.Equal(new[] { 0.3f, -0.7f, 1.1f, 2f, -0.4f, 0.9f }, viaReshape);
        Assert.Equal(new[] { 0f, 1f, 1f, 0f, 1f, 1f }, Step(ThroughWindow));
        Assert.Equal(w.ToArray().Select(v => 2 * v).ToArray(), Step(ThroughPermutation));
        Assert.Equal(viaReshape, Step(ThroughReshape));
        Assert.Equal(viaReshape.Select(g => 2 * g).ToArray(), Step(ThroughReshape, clear: false));

        // All of them, and w itself, in one loss: every contribution adds.
        float[] wv = w.ToArray();
        float[] all = Step(() => F.Add(F.Add(ThroughReshape(), ThroughWindow()), F.Add(ThroughPermutation(), F.Sum(w))));
        for (int i = 0; i < 6; i++) Assert.Equal(viaReshape[i] + (i % 3 >= 1 ? 1f : 0f) + 2 * wv[i] + 1f, all[i], 1e-5f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_reshape_hands_its_gradient_to_an_op_made_input_and_later_contributions_add_to_it(bool reshapeTermFirst)
    {
        // h is made by an op and used twice: through a reshape (whose gradient memory h takes over when
        // it is h's first contribution) and directly; whichever arrives second must add, not overwrite.
        var x = Init.Parameter([2, 3], [1f, -2f, 3f, 0.5f, 4f, -1f], CpuBackend.Instance);
        var c = Tensor.FromArray([0.3f, -0.7f, 1.1f, 2f, -0.4f, 0.9f], 6);
        var d = Tensor.FromArray([1f, 2f, 3f, -1f, -2f, -3f], 2, 3);
        var h = F.MulScalar(x, 2f);
        var viaReshape = F.Sum(F.Mul(F.Reshape(F.Reshape(h, 3, 2), 6), c));
        var direct = F.Sum(F.Mul(h, d));
        (reshapeTermFirst ? F.Add(viaReshape, direct) : F.Add(direct, viaReshape)).Backward();
        float[] cv = c.ToArray(), dv = d.ToArray(), g = x.Grad!.ToArray();
        for (int i = 0; i < 6; i++) Assert.Equal(2f * (cv[i] + dv[i]), g[i], 1e-6f);
    }

    [Theory]
    [InlineData(1f, true)]
    [InlineData(1f, false)]
    [InlineData(0.25f, true)]
    [InlineData(0.25f, false)]
    public void A_loss_on_logits_hands_its_gradient_to_them_scaled_by_the_upstream_and_later_contributions_add(float upstream, bool lossTermFirst)
    {
        // The loss's gradient, made in its forward pass, becomes the logits' own when it is their first
        // contribution (scaled in place, or left as it is for a factor of one).
        float[] xv = [0.5f, -1.5f, 2f, 0f, -3f, 1f], tv = [1f, 0f, 0.25f, 1f, 0.5f, 0f], cv = [0.1f, -0.2f, 0.3f, -0.4f, 0.5f, -0.6f];
        var x = Init.Parameter([2, 3], xv, CpuBackend.Instance);
        var t = Tensor.FromArray(tv, 2, 3);
        var logits = F.MulScalar(x, 3f);
        var bce = F.MulScalar(F.BinaryCrossEntropyWithLogits(logits, t, Reduction.Sum), upstream);
        var other = F.Sum(F.Mul(logits, Tensor.FromArray(cv, 2, 3)));
        (lossTermFirst ? F.Add(bce, other) : F.Add(other, bce)).Backward();
        float[] g = x.Grad!.ToArray();
        for (int i = 0; i < 6; i++)
        {
            float l = 3f * xv[i];
            Assert.Equal(3f * (upstream * (1f / (1f + MathF.Exp(-l)) - tv[i]) + cv[i]), g[i], 1e-5f);
        }
    }

    [Fact]
    public void After_clearing_each_step_holds_its_own_gradient_and_without_clearing_they_add_up()
    {
        // A dense layer and a convolution: both write their first contribution over the cleared buffer.
        var backend = CpuBackend.Instance;
        var rng = new Generator(5);
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 1 * 8 * 8).Select(_ => rng.NextFloat()).ToArray(), [2, 1, 8, 8], backend);
        var conv = Init.Parameter([4, 1, 4, 4], Enumerable.Range(0, 64).Select(_ => rng.NextFloat() - 0.5f).ToArray(), backend);
        var convBias = Init.Parameter([4], [0.1f, -0.1f, 0.2f, 0f], backend);
        var dense = Init.Parameter([3, 64], Enumerable.Range(0, 192).Select(_ => rng.NextFloat() - 0.5f).ToArray(), backend);
        var denseBias = Init.Parameter([3], [0.3f, 0f, -0.2f], backend);
        Tensor[] parameters = [conv, convBias, dense, denseBias];
        void Step()
        {
            var h = F.Conv2d(x, conv, convBias, stride: 2, padding: 1, activation: Activation.Relu);
            F.Sum(F.Linear(h.Reshape([2, 64]), dense, denseBias, Activation.Sigmoid)).Backward();
        }

        Step();
        var first = parameters.Select(p => p.Grad!.ToArray()).ToArray();
        foreach (var p in parameters) p.ZeroGrad();
        Step();
        for (int i = 0; i < parameters.Length; i++) Assert.Equal(first[i], parameters[i].Grad!.ToArray());
        Step();
        for (int i = 0; i < parameters.Length; i++)
        {
            var twice = parameters[i].Grad!.ToArray();
            for (int j = 0; j < twice.Length; j++) Assert.Equal(2 * first[i][j], twice[j], 1e-5f * (1 + MathF.Abs(twice[j])));
        }
    }

    [Fact]
    public void The_generator_repeats_for_a_seed_and_differs_across_streams()
    {
        var a = new Generator(9); var b = new Generator(9);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextNormal(), b.NextNormal());
        Assert.NotEqual(Generator.ForStream(1, 1).NextUInt64(), Generator.ForStream(1, 2).NextUInt64());
    }
}
