using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Optim;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Ops;

/// <summary>
/// Each fused kernel against its oracle: the same op on the same values, once on a backend with its
/// fused kernels and once on the CPU's primitives with none (composed); values and gradients agree.
/// </summary>
public abstract class FusedKernelTests(string backend)
{
    private readonly IBackend Fused = BackendTests.Require(backend);
    private static readonly IBackend Composed = CpuBackend.Composed;
    private readonly Generator _rng = new(3);

    private float[] Values(int count, float low, float high)
    {
        var v = new float[count];
        for (int i = 0; i < v.Length; i++) v[i] = low + (high - low) * _rng.NextFloat();
        return v;
    }

    /// <summary>Runs <paramref name="op"/> on both backends over the same inputs; compares the value and every input's gradient.</summary>
    private void Agree(Func<Tensor[], Tensor> op, (int[] Shape, float[] Values, bool Grad)[] inputs, float tolerance = 1e-5f)
    {
        (float[] Value, float[]?[] Grads) Run(IBackend backend)
        {
            var tensors = inputs.Select(i => i.Grad ? Init.Parameter(i.Shape, i.Values, backend) : Tensor.FromArray(i.Values, i.Shape, backend)).ToArray();
            var y = op(tensors);
            var value = y.ToArray();
            if (tensors.Any(t => t.RequiresGrad)) F.Sum(F.Mul(y, Tensor.Full(y.Shape, 0.37f, backend))).Backward();
            return (value, tensors.Select(t => t.Grad?.ToArray()).ToArray());
        }
        var (fusedValue, fusedGrads) = Run(Fused);
        var (composedValue, composedGrads) = Run(Composed);
        Close("value", composedValue, fusedValue, tolerance);
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i].Grad) Close($"gradient {i}", composedGrads[i]!, fusedGrads[i]!, tolerance);
    }

    /// <summary>Backends without the 3x3 kernels (the GPU's convolutions are im2col + GEMM, which the op tests cover) skip their tests.</summary>
    private void RequiresConv3x3()
        => Skip.If(Fused.Kernels<IConv3x3Kernels>() is null, $"{Fused.Name} has no 3x3 convolution kernels; its convolutions are im2col + GEMM, covered by the op tests.");

    private static void Close(string what, float[] expected, float[] actual, float tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tol * (1 + MathF.Abs(expected[i])), $"{what} element {i}: composed {expected[i]}, fused {actual[i]}");
    }

    // 5 outputs a row: the kernels' scalar tails; 37: vectors and a tail.
    [SkippableTheory]
    [InlineData(Activation.None, 5)]
    [InlineData(Activation.Relu, 5)]
    [InlineData(Activation.LeakyRelu, 5)]
    [InlineData(Activation.Sigmoid, 5)]
    [InlineData(Activation.Tanh, 5)]
    [InlineData(Activation.None, 37)]
    [InlineData(Activation.Relu, 37)]
    [InlineData(Activation.LeakyRelu, 37)]
    [InlineData(Activation.Sigmoid, 37)]
    [InlineData(Activation.Tanh, 37)]
    public void Linear_with_bias_and_activation(Activation activation, int outputs)
        => Agree(t => F.Linear(t[0], t[1], t[2], activation, 0.05f),
            [([7, 9], Values(63, -1, 1), true), ([outputs, 9], Values(outputs * 9, -1, 1), true), ([outputs], Values(outputs, -1, 1), true)]);

    [SkippableFact]
    public void Bce_on_logits_training_path()
        => Agree(t => F.BinaryCrossEntropyWithLogits(t[0], t[1], Reduction.Sum), [([7, 5000], Values(35000, -8, 8), true), ([7, 5000], Values(35000, 0, 1), false)], 1e-4f);

    // Logits made by an op take the loss's gradient as their own (scaled in place on the device) and
    // then a second contribution; in either order of arrival.
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Bce_on_logits_made_by_an_op_and_used_again(bool lossTermFirst)
        => Agree(t =>
        {
            var logits = F.MulScalar(t[0], 1.5f);
            var bce = F.BinaryCrossEntropyWithLogits(logits, t[1], Reduction.Sum);
            var other = F.Sum(F.Mul(logits, t[2]));
            return lossTermFirst ? F.Add(bce, other) : F.Add(other, bce);
        }, [([7, 3000], Values(21000, -8, 8), true), ([7, 3000], Values(21000, 0, 1), false), ([7, 3000], Values(21000, -1, 1), false)], 1e-4f);

    [SkippableFact]
    public void Bce_on_logits_with_a_differentiable_target()
        => Agree(t => F.BinaryCrossEntropyWithLogits(t[0], t[1]), [([3, 40], Values(120, -8, 8), true), ([3, 40], Values(120, 0, 1), true)]);

    [SkippableFact]
    public void Bce_on_probabilities()
        => Agree(t => F.BinaryCrossEntropy(t[0], t[1], Reduction.Sum), [([3, 40], Values(120, 0.05f, 0.95f), true), ([3, 40], Values(120, 0, 1), true)], 1e-4f);

    [SkippableFact]
    public void Squared_error()
        => Agree(t => F.SquaredError(t[0], t[1]), [([6, 30], Values(180, -1, 1), true), ([6, 30], Values(180, -1, 1), true)]);

    [SkippableFact]
    public void Kl_closed_form()
        => Agree(t => F.KlStandardNormal(t[0], t[1]), [([8, 20], Values(160, -2, 2), true), ([8, 20], Values(160, -3, 1), true)]);

    [SkippableFact]
    public void Reparameterization()
        => Agree(t => F.Reparameterize(t[0], t[1], t[2]), [([8, 20], Values(160, -2, 2), true), ([8, 20], Values(160, -3, 1), true), ([8, 20], Values(160, -2, 2), false)]);

    [SkippableTheory]
    [InlineData(2, 3, 4, 5, 5)]     // narrow: tiles one at a time
    [InlineData(2, 3, 5, 17, 20)]   // wide: tile columns across SIMD lanes, odd height, a partial group
    [InlineData(3, 4, 2, 32, 32)]
    [InlineData(1, 2, 3, 16, 7)]
    public void Winograd_3x3_convolution_equals_im2col(int n, int inC, int outC, int h, int w)
    {
        RequiresConv3x3();
        Agree(t => F.Conv2d(t[0], t[1], t[2], padding: 1),
            [([n, inC, h, w], Values(n * inC * h * w, -1, 1), true), ([outC, inC, 3, 3], Values(outC * inC * 9, -1, 1), true), ([outC], Values(outC, -1, 1), true)], 2e-5f);
    }

    [SkippableTheory]
    [InlineData(2, 32, 32, 32, 32)]  // F(4x4, 3x3): wide tile rows across the lanes
    [InlineData(3, 32, 40, 9, 14)]   // ragged 4x4 tiles at the bottom and right, groups spanning tile rows and images
    [InlineData(5, 48, 32, 4, 4)]    // one tile per image
    [InlineData(3, 32, 32, 16, 16)]  // groups of two tile rows of 4 tiles, moved as whole pixel rows
    [InlineData(5, 32, 40, 8, 8)]    // groups of four tile rows of 2 tiles, spanning images
    [InlineData(2, 32, 32, 10, 8)]   // the same with the last tile row cut short
    [InlineData(3, 32, 32, 13, 16)]  // rows of 4 tiles, cut short at the bottom
    [InlineData(2, 32, 32, 7, 64)]   // rows of 16 tiles: two groups of 8 per tile row
    public void Large_tile_winograd_3x3_convolution_equals_im2col(int n, int inC, int outC, int h, int w)
    {
        RequiresConv3x3();
        Agree(t => F.Conv2d(t[0], t[1], padding: 1),
            [([n, inC, h, w], Values(n * inC * h * w, -1, 1), true), ([outC, inC, 3, 3], Values(outC * inC * 9, -0.2f, 0.2f), true)], 1e-4f);
    }

    [SkippableFact]
    public void Winograd_goes_through_images_in_several_chunks()
    {
        RequiresConv3x3();
        Agree(t => F.Conv2d(t[0], t[1], padding: 1),
            [([40, 16, 32, 32], Values(40 * 16 * 1024, -1, 1), true), ([16, 16, 3, 3], Values(16 * 16 * 9, -1, 1), true)], 5e-5f);
    }

    /// <summary>Backends without the chunked convolution kernels run the composed convolution, which is the oracle itself.</summary>
    private void RequiresConvKernels()
        => Skip.If(Fused.Kernels<IConvKernels>() is null, $"{Fused.Name} has no fused convolution kernels; its convolutions are the composed ones.");

    // 20 images of 12x12 under a 4x4 kernel with stride 2: 36 positions each, so the kernels take
    // chunks of 3 images, the last one short, and sum the gradients of 7 chunks.
    [SkippableTheory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Convolution_with_bias_and_activation(Activation activation)
    {
        RequiresConvKernels();
        Agree(t => F.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, activation: activation, slope: 0.05f),
            [([20, 3, 12, 12], Values(20 * 3 * 144, -1, 1), true), ([5, 3, 4, 4], Values(5 * 48, -0.5f, 0.5f), true), ([5], Values(5, -1, 1), true)], 2e-5f);
    }

    [SkippableTheory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Transposed_convolution_with_bias_and_activation(Activation activation)
    {
        RequiresConvKernels();
        Agree(t => F.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, activation: activation, slope: 0.05f),
            [([20, 5, 6, 6], Values(20 * 5 * 36, -1, 1), true), ([5, 3, 4, 4], Values(5 * 48, -0.5f, 0.5f), true), ([3], Values(3, -1, 1), true)], 2e-5f);
    }

    [SkippableFact]
    public void Convolution_of_an_input_without_gradient_and_without_bias()
    {
        RequiresConvKernels();
        Agree(t => F.Conv2d(t[0], t[1], stride: (1, 2), padding: 2, dilation: 2, activation: Activation.Relu),
            [([9, 2, 11, 13], Values(9 * 2 * 143, -1, 1), false), ([4, 2, 3, 2], Values(4 * 12, -1, 1), true)], 2e-5f);
    }

    [SkippableFact]
    public void Transposed_convolution_with_output_padding_and_a_frozen_weight()
    {
        RequiresConvKernels();
        Agree(t => F.ConvTranspose2d(t[0], t[1], stride: 2, padding: 1, outputPadding: 1),
            [([6, 4, 5, 3], Values(6 * 4 * 15, -1, 1), true), ([4, 3, 3, 3], Values(4 * 27, -1, 1), false)], 2e-5f);
    }

    [SkippableFact]
    public void A_convolution_input_and_weights_used_twice_take_both_gradients()
    {
        RequiresConvKernels();
        // The first use's backward pass writes each gradient, the later ones add to it: x feeds two
        // convolutions, their sum h two transposed ones, and the weight all four.
        Agree(t =>
            {
                var h = F.Add(F.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, activation: Activation.Relu), F.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1));
                return F.Add(F.ConvTranspose2d(h, t[1], stride: 2, padding: 1, activation: Activation.Relu), F.ConvTranspose2d(h, t[1], stride: 2, padding: 1));
            },
            [([6, 3, 12, 12], Values(6 * 3 * 144, -1, 1), true), ([5, 3, 4, 4], Values(5 * 48, -0.5f, 0.5f), true), ([5], Values(5, -1, 1), true)], 1e-4f);
    }

    [SkippableFact]
    public void A_dense_layer_used_twice_takes_both_gradients()
        // The first layer's backward pass writes the input's, weight's and bias's gradients, the second adds.
        => Agree(t => F.Add(F.Linear(t[0], t[1], t[2], Activation.Relu), F.Linear(t[0], t[1], t[2], Activation.Tanh)),
            [([7, 9], Values(63, -1, 1), true), ([5, 9], Values(45, -1, 1), true), ([5], Values(5, -1, 1), true)]);

    [SkippableFact]
    public void The_conv_vae_layers_over_a_full_batch()
    {
        RequiresConvKernels();
        // The shapes of the conv VAE's middle layers at batch 128: 16 chunks of 8 images.
        Agree(t => F.ConvTranspose2d(F.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, activation: Activation.Relu), t[3], t[4], stride: 2, padding: 1, activation: Activation.Relu),
            [([128, 32, 14, 14], Values(128 * 32 * 196, 0, 1), true), ([64, 32, 4, 4], Values(64 * 512, -0.05f, 0.05f), true), ([64], Values(64, -0.05f, 0.05f), true),
             ([64, 32, 4, 4], Values(64 * 512, -0.05f, 0.05f), true), ([32], Values(32, -0.05f, 0.05f), true)], 1e-4f);
    }

    [SkippableTheory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void Batch_norm_with_residual_and_relu(bool training, bool relu)
    {
        float[] mean = Values(3, -0.5f, 0.5f), variance = Values(3, 0.5f, 2f);
        Agree(t =>
        {
            var m = Tensor.FromArray(mean, [3], t[0].Backend); var v = Tensor.FromArray(variance, [3], t[0].Backend);
            return F.BatchNorm(t[0], m, v, t[1], t[2], training, residual: t[3], activation: relu ? Activation.Relu : Activation.None);
        }, [([4, 3, 5, 6], Values(360, -2, 2), true), ([3], Values(3, 0.5f, 1.5f), true), ([3], Values(3, -1, 1), true), ([4, 3, 5, 6], Values(360, -1, 1), true)], 1e-4f);
    }

    [SkippableFact]
    public void Nearest_upsampling()
        => Agree(t => F.UpsampleNearest(t[0], (2, 3)), [([2, 3, 4, 5], Values(120, -1, 1), true)]);

    [SkippableTheory]
    [InlineData("adam")]
    [InlineData("adam-weight-decay")]
    [InlineData("sgd-nesterov")]
    [InlineData("sgd-dampened")]
    public void Optimizer_steps(string kind)
    {
        var start = Values(300, -1, 1);
        var grads = Enumerable.Range(0, 4).Select(_ => Values(300, -0.5f, 0.5f)).ToArray();
        float[] Run(IBackend backend)
        {
            var p = Init.Parameter([300], start, backend);
            Optimizer opt = kind switch
            {
                "adam" => new Adam([p], 0.01f),
                "adam-weight-decay" => new Adam([p], 0.01f, weightDecay: 0.1f),
                "sgd-nesterov" => new Sgd([p], 0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f),
                _ => new Sgd([p], 0.1f, momentum: 0.8f, dampening: 0.2f),
            };
            foreach (var g in grads)
            {
                p.Grad = Init.Parameter([300], g, backend);
                opt.Step();
            }
            return p.ToArray();
        }
        Close("parameters", Run(Composed), Run(Fused), 1e-5f);
    }
}

public sealed class CpuFusedKernelTests() : FusedKernelTests("cpu");

public sealed class IlgpuCpuFusedKernelTests() : FusedKernelTests("ilgpu-cpu");

public sealed class CudaFusedKernelTests() : FusedKernelTests("cuda");
