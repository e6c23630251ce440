using Vae.Engine.Backends.Cpu;
using Vae.Engine.Models;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Models;

/// <summary>
/// Decode is the expected image: sigmoid of the raw output for a Bernoulli model, the raw output
/// for a Gaussian one. The MLP applies the sigmoid in its output layer's own pass; the values must
/// be those of a separate sigmoid, served (frozen) or not, and gradients must still flow through it.
/// </summary>
public class DecodeTests
{
    private static Tensor Codes(int rows, int latent, int seed) => Tensor.RandN(new Generator((ulong)seed), [rows, latent], CpuBackend.Instance);

    public static TheoryData<bool, int> FrozenAndRows => new() { { false, 1 }, { false, 64 }, { true, 1 }, { true, 7 }, { true, 64 } };

    [Theory]
    [MemberData(nameof(FrozenAndRows))]
    public void A_Bernoulli_MLP_decodes_to_the_sigmoid_of_its_raw_output_bit_for_bit(bool frozen, int rows)
    {
        var model = ModelRegistry.Create(ModelPresets.CompactVae, seed: 3, CpuBackend.Instance);
        if (frozen) model.Freeze();
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var z = Codes(rows, model.LatentDim, seed: rows);

        float[] fused = model.Decode(z).ToArray();
        float[] separate = F.Sigmoid(model.DecodeRaw(z)).ToArray();

        Assert.Equal(separate, fused);
        Assert.All(fused, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void A_Gaussian_MLP_decodes_to_its_raw_output()
    {
        var model = ModelRegistry.Create(ModelPresets.GaussianVae(), seed: 5, CpuBackend.Instance);
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var z = Codes(9, model.LatentDim, seed: 2);

        Assert.Equal(model.DecodeRaw(z).ToArray(), model.Decode(z).ToArray());
    }

    [Fact]
    public void Gradients_flow_through_the_sigmoid_the_output_layer_applies()
    {
        float[] CodeGradient(bool fused)
        {
            var model = ModelRegistry.Create(ModelPresets.CompactVae, seed: 8, CpuBackend.Instance);
            using var scope = TensorScope.Begin();
            var z = Codes(4, model.LatentDim, seed: 1);
            z.RequiresGrad = true;
            var images = fused ? model.Decode(z) : F.Sigmoid(model.DecodeRaw(z));
            F.Sum(F.Mul(images, images)).Backward();
            return z.Grad!.ToArray();
        }

        float[] expected = CodeGradient(fused: false), actual = CodeGradient(fused: true);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"dz[{i}]: {actual[i]}, composed {expected[i]}");
        Assert.Contains(actual, g => g != 0f);
    }
}
