using Vae.Engine.Backends.Cpu;
using Vae.Engine.Nn;
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
    public void The_generator_repeats_for_a_seed_and_differs_across_streams()
    {
        var a = new Generator(9); var b = new Generator(9);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextNormal(), b.NextNormal());
        Assert.NotEqual(Generator.ForStream(1, 1).NextUInt64(), Generator.ForStream(1, 2).NextUInt64());
    }
}
