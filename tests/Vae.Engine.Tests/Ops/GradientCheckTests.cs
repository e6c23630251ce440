using Vae.Engine.Backends;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Ops;

/// <summary>Every differentiable op's backward agrees with finite differences, on every backend.</summary>
public abstract class GradientCheckTests(string backend) : BackendTests(backend)
{
    // ---- elementwise and broadcasting ----
    [SkippableFact] public void Add_of_same_shapes() => GradCheck.Check(t => t[0] + t[1], [In(3, 4), In(3, 4)]);
    [SkippableFact] public void Add_broadcasts_a_row_and_sums_its_gradient() => GradCheck.Check(t => t[0] + t[1], [In(3, 4), In(4)]);
    [SkippableFact] public void Add_broadcasts_a_column() => GradCheck.Check(t => t[0] + t[1], [In(3, 1), In(2, 3, 4)]);
    [SkippableFact] public void Sub_broadcasts_a_scalar_tensor() => GradCheck.Check(t => t[0] - t[1], [In(2, 5), In(1)]);
    [SkippableFact] public void Mul_of_same_shapes() => GradCheck.Check(t => t[0] * t[1], [In(4, 3), In(4, 3)]);
    [SkippableFact] public void Mul_broadcasts_both_operands() => GradCheck.Check(t => t[0] * t[1], [In(3, 1), In(1, 4)]);
    [SkippableFact] public void Div_of_same_shapes() => GradCheck.Check(t => t[0] / t[1], [In(3, 3), Positive(3, 3)]);
    [SkippableFact] public void Div_broadcasts_the_denominator() => GradCheck.Check(t => t[0] / t[1], [In(2, 3), Positive(3)]);
    [SkippableFact] public void Scalar_add_multiply_and_negate() => GradCheck.Check(t => -(t[0] * 3f + 2f), [In(5)]);

    // ---- products ----
    [SkippableFact] public void MatMul() => GradCheck.Check(t => t[0].MatMul(t[1]), [In(3, 5), In(5, 4)]);
    [SkippableFact] public void MatMul_reads_transposed_views_in_place() => GradCheck.Check(t => t[0].T.MatMul(t[1].T), [In(5, 3), In(4, 5)]);
    [SkippableFact] public void Batched_matmul() => GradCheck.Check(t => t[0].MatMul(t[1]), [In(3, 2, 4), In(3, 4, 5)]);
    [SkippableFact] public void Batched_matmul_sharing_the_right_matrix() => GradCheck.Check(t => t[0].MatMul(t[1]), [In(3, 2, 4), In(4, 5)]);

    [SkippableTheory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Linear_with_its_activation(Activation activation)
        => GradCheck.Check(t => F.Linear(t[0], t[1], t[2], activation, 0.1f), [In(4, 6), In(5, 6), In(5)], step: 1e-3f);

    [SkippableFact] public void Linear_without_bias() => GradCheck.Check(t => F.Linear(t[0], t[1]), [In(3, 4), In(2, 4)]);

    // ---- pointwise ----
    [SkippableFact] public void Relu() => GradCheck.Check(t => t[0].Relu(), [Away(4, 5)]);
    [SkippableFact] public void LeakyRelu() => GradCheck.Check(t => t[0].LeakyRelu(0.2f), [Away(4, 5)]);
    [SkippableFact] public void Sigmoid() => GradCheck.Check(t => t[0].Sigmoid(), [In(4, 5)]);
    [SkippableFact] public void Tanh() => GradCheck.Check(t => t[0].Tanh(), [In(4, 5)]);
    [SkippableFact] public void Exp() => GradCheck.Check(t => t[0].Exp(), [In(4, 5)]);
    [SkippableFact] public void Log() => GradCheck.Check(t => t[0].Log(), [Positive(4, 5)]);
    [SkippableFact] public void Softplus() => GradCheck.Check(t => t[0].Softplus(), [Range([4, 5], -6f, 6f)]);
    [SkippableFact] public void Square() => GradCheck.Check(t => t[0].Square(), [In(4, 5)]);
    [SkippableFact] public void Sqrt() => GradCheck.Check(t => t[0].Sqrt(), [Positive(4, 5)]);
    [SkippableFact] public void Abs() => GradCheck.Check(t => t[0].Abs(), [Away(4, 5)]);
    [SkippableFact] public void Clamp_min() => GradCheck.Check(t => F.ClampMin(t[0], 0.5f), [Away(4, 5)]);

    // ---- reductions ----
    [SkippableFact] public void Sum_of_all_elements() => GradCheck.Check(t => t[0].Sum(), [In(3, 4)]);
    [SkippableFact] public void Sum_along_the_first_dimension() => GradCheck.Check(t => t[0].Sum(0), [In(3, 4)]);
    [SkippableFact] public void Sum_along_the_last_dimension_keeping_it() => GradCheck.Check(t => t[0].Sum(-1, keepDim: true), [In(2, 3, 4)]);
    [SkippableFact] public void Sum_along_a_middle_dimension() => GradCheck.Check(t => t[0].Sum(1), [In(2, 3, 4)]);
    [SkippableFact] public void Sum_over_several_dimensions() => GradCheck.Check(t => t[0].Sum([0, 2]), [In(2, 3, 4)]);
    [SkippableFact] public void Mean_of_all_elements() => GradCheck.Check(t => t[0].Mean(), [In(3, 4)]);
    [SkippableFact] public void Mean_along_a_dimension() => GradCheck.Check(t => t[0].Mean(1), [In(3, 4)]);
    [SkippableFact] public void Max_along_a_dimension() => GradCheck.Check(t => t[0].Max(1), [In(3, 5, 2)], step: 1e-3f);
    [SkippableFact] public void Log_softmax() => GradCheck.Check(t => F.LogSoftmax(t[0], 1), [Range([3, 5], -3f, 3f)]);
    [SkippableFact] public void Cross_entropy() => GradCheck.Check(t => F.CrossEntropy(t[0], [2, 0, 4]), [Range([3, 5], -3f, 3f)]);

    // ---- views and copies ----
    [SkippableFact] public void Reshape() => GradCheck.Check(t => t[0].Reshape(4, -1) * t[1], [In(2, 6), In(4, 3)]);
    [SkippableFact] public void Narrow_rows() => GradCheck.Check(t => t[0].Narrow(0, 1, 2) * t[1], [In(4, 3), In(2, 3)]);
    [SkippableFact] public void Narrow_a_middle_dimension() => GradCheck.Check(t => t[0].Narrow(1, 1, 2) * t[1], [In(3, 4, 5), In(3, 2, 5)]);
    [SkippableFact] public void Transpose() => GradCheck.Check(t => t[0].Transpose(0, 1) * t[1], [In(3, 4), In(4, 3)]);
    [SkippableFact] public void Permute() => GradCheck.Check(t => t[0].Permute(2, 0, 1) * t[1], [In(2, 3, 4), In(4, 2, 3)]);
    [SkippableFact] public void Expand_sums_its_gradient_over_the_repeats() => GradCheck.Check(t => t[0].Expand(2, 4, 3) * t[1], [In(1, 4, 1), In(2, 4, 3)]);
    [SkippableFact] public void Contiguous_copy_of_a_transposed_view() => GradCheck.Check(t => t[0].T.Contiguous().Reshape(-1) * t[1], [In(3, 4), In(12)]);
    [SkippableFact] public void Reshape_of_a_strided_view_copies() => GradCheck.Check(t => t[0].Permute(1, 0).Reshape(12) * t[1], [In(3, 4), In(12)]);
    [SkippableFact] public void Unsqueeze_and_squeeze() => GradCheck.Check(t => t[0].Unsqueeze(1).Squeeze(1) * t[1], [In(3, 4), In(3, 4)]);
    [SkippableFact] public void Flatten_and_unflatten() => GradCheck.Check(t => F.Unflatten(t[0].Flatten(), 1, 3, 2) * t[1], [In(2, 3, 2), In(2, 3, 2)]);
    [SkippableFact] public void Cat_along_rows() => GradCheck.Check(t => Tensor.Cat([t[0], t[1]], 0), [In(2, 3), In(1, 3)]);
    [SkippableFact] public void Cat_along_columns() => GradCheck.Check(t => Tensor.Cat([t[0], t[1], t[0]], 1), [In(2, 3), In(2, 2)]);
    [SkippableFact] public void Cat_of_strided_views() => GradCheck.Check(t => Tensor.Cat([t[0].T, t[1]], 1), [In(3, 2), In(2, 4)]);

    // ---- convolution and friends ----
    [SkippableFact] public void Conv2d_same_padding_with_bias()
        => GradCheck.Check(t => F.Conv2d(t[0], t[1], t[2], padding: 1), [In(2, 3, 5, 5), In(4, 3, 3, 3), In(4)]);
    [SkippableFact] public void Conv2d_stride_two_without_bias()
        => GradCheck.Check(t => F.Conv2d(t[0], t[1], stride: 2, padding: 1), [In(2, 2, 7, 7), In(3, 2, 4, 4)]);
    [SkippableFact] public void Conv2d_with_dilation_and_rectangular_settings()
        => GradCheck.Check(t => F.Conv2d(t[0], t[1], stride: (1, 2), padding: 2, dilation: 2), [In(1, 2, 6, 7), In(2, 2, 3, 2)]);
    [SkippableFact] public void Conv_transpose2d_doubles_the_size()
        => GradCheck.Check(t => F.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1), [In(2, 3, 3, 3), In(3, 2, 4, 4), In(2)]);
    [SkippableFact] public void Conv_transpose2d_with_output_padding()
        => GradCheck.Check(t => F.ConvTranspose2d(t[0], t[1], stride: 2, padding: 1, outputPadding: 1), [In(1, 2, 3, 4), In(2, 3, 3, 3)]);
    [SkippableTheory]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Conv2d_stride_two_with_its_activation(Activation activation)
        => GradCheck.Check(t => F.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, activation: activation), [In(5, 2, 6, 6), In(3, 2, 4, 4), In(3)]);
    [SkippableTheory]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Conv_transpose2d_with_its_activation(Activation activation)
        => GradCheck.Check(t => F.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, activation: activation), [In(5, 3, 3, 3), In(3, 2, 4, 4), In(2)]);
    [SkippableFact] public void Unfold_with_a_pad_value()
        => GradCheck.Check(t => F.Unfold(t[0], 3, 2, 1, padValue: 0.5f), [In(2, 2, 5, 4)]);

    [SkippableFact]
    public void Batch_norm_in_training_over_images()
    {
        var mean = Tensor.Zeros([3], Backend); var variance = Tensor.Ones([3], Backend);
        GradCheck.Check(t => F.BatchNorm(t[0], mean, variance, t[1], t[2], training: true), [In(4, 3, 2, 3), In(3), In(3)], step: 1e-3f);
    }

    [SkippableFact]
    public void Batch_norm_in_training_over_vectors()
    {
        var mean = Tensor.Zeros([5], Backend); var variance = Tensor.Ones([5], Backend);
        GradCheck.Check(t => F.BatchNorm(t[0], mean, variance, t[1], t[2], training: true), [In(6, 5), In(5), In(5)], step: 1e-3f);
    }

    [SkippableFact]
    public void Batch_norm_in_eval_uses_the_running_statistics()
    {
        var mean = Constant(3); var variance = F.AddScalar(Constant(3), 0.5f);
        GradCheck.Check(t => F.BatchNorm(t[0], mean, variance, t[1], t[2], training: false), [In(2, 3, 2, 2), In(3), In(3)]);
    }

    [SkippableFact] public void Upsample_nearest_sums_each_block() => GradCheck.Check(t => F.UpsampleNearest(t[0], 2), [In(2, 2, 3, 2)]);
    [SkippableFact] public void Upsample_nearest_by_unequal_factors() => GradCheck.Check(t => F.UpsampleNearest(t[0], (3, 2)), [In(1, 2, 2, 3)]);
    [SkippableFact] public void Global_average_pool() => GradCheck.Check(t => F.GlobalAvgPool2d(t[0]), [In(2, 3, 3, 4)]);
    [SkippableFact] public void Adaptive_average_pool_with_uneven_windows() => GradCheck.Check(t => F.AdaptiveAvgPool2d(t[0], (3, 2)), [In(2, 2, 7, 5)]);
    [SkippableFact] public void Max_pool() => GradCheck.Check(t => F.MaxPool2d(t[0], 3, 2, 1), [In(2, 2, 5, 5)], step: 1e-3f);
    [SkippableFact] public void Dropout_with_a_fixed_mask()
    {
        var mask = F.Step(Constant(4, 5), 0.3f);
        GradCheck.Check(t => F.DropoutWithMask(t[0], mask, 0.3f), [In(4, 5)]);
    }
    [SkippableFact] public void Embedding_sums_the_gradient_of_repeated_labels() => GradCheck.Check(t => F.Embedding([1, 3, 1, 0], t[0]), [In(4, 3)]);

    // ---- losses ----
    [SkippableFact] public void Binary_cross_entropy_on_logits()
        => GradCheck.Check(t => F.BinaryCrossEntropyWithLogits(t[0], t[1], Reduction.Sum), [Range([3, 4], -4f, 4f), Range([3, 4], 0f, 1f)]);
    [SkippableFact] public void Binary_cross_entropy_on_logits_against_a_fixed_target_uses_the_training_path()
        => GradCheck.Check(t => F.BinaryCrossEntropyWithLogits(t[0], t[1]), [Range([5, 3000], -6f, 6f), Constant(5, 3000)], absTol: 1e-4, relTol: 2e-2);
    [SkippableFact] public void Binary_cross_entropy_on_probabilities_with_mean()
        => GradCheck.Check(t => F.BinaryCrossEntropy(t[0], t[1]), [Range([3, 4], 0.1f, 0.9f), Range([3, 4], 0f, 1f)], step: 1e-3f);
    [SkippableFact] public void Squared_error_flows_to_both_sides()
        => GradCheck.Check(t => F.SquaredError(t[0], t[1], Reduction.Sum), [In(3, 4), In(3, 4)]);
    [SkippableFact] public void Gaussian_nll_with_fixed_sigma()
        => GradCheck.Check(t => F.GaussianNll(t[0], t[1], 0.7f), [In(3, 4), Constant(3, 4)]);
    [SkippableFact] public void Gaussian_nll_with_a_learned_log_scale()
        => GradCheck.Check(t => F.GaussianNllLearnedScale(t[0], t[1], t[2]), [In(3, 4), In(1), Constant(3, 4)]);
    [SkippableFact] public void Kl_to_a_standard_normal_in_closed_form()
        => GradCheck.Check(t => F.KlStandardNormal(t[0], t[1]), [In(3, 4), In(3, 4)]);
    [SkippableFact] public void Kl_monte_carlo_estimate_through_z_mu_and_std()
        => GradCheck.Check(t => F.KlMonteCarlo(t[0], t[1], t[2]), [In(3, 4), In(3, 4), Positive(3, 4)]);
    [SkippableFact] public void Reparameterization_with_fixed_noise()
    {
        var eps = Constant(3, 4);
        GradCheck.Check(t => F.Reparameterize(t[0], t[1], eps), [In(3, 4), In(3, 4)]);
    }
}

public sealed class CpuGradientCheckTests() : GradientCheckTests("cpu");

public sealed class CpuComposedGradientCheckTests() : GradientCheckTests("cpu-composed");

public sealed class IlgpuCpuGradientCheckTests() : GradientCheckTests("ilgpu-cpu");

/// <summary>Skipped, with the reason, where no CUDA device answers.</summary>
public sealed class CudaGradientCheckTests() : GradientCheckTests("cuda");
