using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Nn;

/// <summary>
/// A frozen Linear layer (a served model's) answers forward passes without gradients from its
/// own transposed copy of the weight: the same outputs as before freezing, for one code or many,
/// gradients unchanged where they are asked for, and a copy that follows new weights.
/// </summary>
public class FrozenLayerTests
{
    private static Sequential Stack(int seed, Activation hidden = Activation.Relu)
    {
        var g = new Generator((ulong)seed);
        return new Sequential(
            new Linear(20, 400, g, CpuBackend.Instance, activation: hidden),
            new Linear(400, 784, g, CpuBackend.Instance, activation: Activation.Sigmoid));
    }

    private static float[] Forward(Layer layer, float[] input, int rows)
    {
        using (Autograd.NoGrad())
        using (TensorScope.Begin())
            return layer.Forward(Tensor.FromArray(input, rows, 20)).ToArray();
    }

    private static float[] Codes(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * 20).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(64)]
    public void Frozen_layers_give_the_outputs_they_gave_before_freezing(int rows)
    {
        var layers = Stack(seed: 4, Activation.LeakyRelu);
        float[] codes = Codes(rows, seed: rows);
        float[] before = Forward(layers, codes, rows);

        layers.Freeze();
        float[] after = Forward(layers, codes, rows);

        Assert.True(layers.Frozen);
        Assert.All(layers.NamedChildren(), child => Assert.True(((Linear)child.Module).ReadsTransposedCopy));
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.True(Math.Abs(before[i] - after[i]) <= 1e-6f, $"output {i}: {before[i]} before, {after[i]} frozen");
    }

    [Fact]
    public void A_frozen_layer_still_gives_gradients_where_they_are_asked_for()
    {
        float[] Gradient(Sequential layers)
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.FromArray(Codes(5, seed: 9), 5, 20);
            x.RequiresGrad = true;
            F.Sum(layers.Forward(x)).Backward();
            return x.Grad!.ToArray();
        }

        var plain = Stack(seed: 6);
        var frozen = Stack(seed: 6);
        frozen.Freeze();

        Assert.Equal(Gradient(plain), Gradient(frozen));
    }

    [Fact]
    public void Loading_new_weights_into_a_frozen_layer_refreshes_its_copy()
    {
        var target = Stack(seed: 1);
        target.Freeze();
        var source = Stack(seed: 2);
        float[] codes = Codes(16, seed: 3);

        Assert.True(((Linear)target.NamedChildren().First().Module).ReadsTransposedCopy);
        target.LoadState(source.NamedState().ToDictionary(s => s.Name, s => (s.Tensor.Shape, s.Tensor.ToArray())), "test");

        float[] expected = Forward(source, codes, 16), actual = Forward(target, codes, 16);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f, $"output {i}: {actual[i]}, the new weights give {expected[i]}");
    }
}
