using Vae.Engine.Backends;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Ops;

/// <summary>Every differentiable op's backward agrees with finite differences.</summary>
public class GradientCheckTests
{
    private static readonly Generator G = new(42);

    private static Tensor In(params int[] shape) => GradCheck.Input(G, shape);
    private static Tensor Away(params int[] shape) => GradCheck.Input(G, shape, -2f, 2f, avoidNearZero: 0.1f);
    private static Tensor Positive(params int[] shape) => GradCheck.Input(G, shape, 0.5f, 2f);

    [Fact] public void Add_of_same_shapes() => GradCheck.Check(t => t[0] + t[1], [In(3, 4), In(3, 4)]);
    [Fact] public void Add_broadcasts_a_row_and_sums_its_gradient() => GradCheck.Check(t => t[0] + t[1], [In(3, 4), In(4)]);
    [Fact] public void Add_broadcasts_a_column() => GradCheck.Check(t => t[0] + t[1], [In(3, 1), In(2, 3, 4)]);
    [Fact] public void Sub_broadcasts_a_scalar_tensor() => GradCheck.Check(t => t[0] - t[1], [In(2, 5), In(1)]);
    [Fact] public void Mul_of_same_shapes() => GradCheck.Check(t => t[0] * t[1], [In(4, 3), In(4, 3)]);
    [Fact] public void Mul_broadcasts_both_operands() => GradCheck.Check(t => t[0] * t[1], [In(3, 1), In(1, 4)]);
    [Fact] public void Div_of_same_shapes() => GradCheck.Check(t => t[0] / t[1], [In(3, 3), Positive(3, 3)]);
    [Fact] public void Div_broadcasts_the_denominator() => GradCheck.Check(t => t[0] / t[1], [In(2, 3), Positive(3)]);
    [Fact] public void Scalar_add_multiply_and_negate() => GradCheck.Check(t => -(t[0] * 3f + 2f), [In(5)]);

    [Fact] public void MatMul() => GradCheck.Check(t => t[0].MatMul(t[1]), [In(3, 5), In(5, 4)]);

    [Theory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Linear_with_fused_activation(Activation activation)
        => GradCheck.Check(t => F.Linear(t[0], t[1], t[2], activation, 0.1f), [In(4, 6), In(5, 6), In(5)], step: 1e-3f);

    [Fact] public void Linear_without_bias() => GradCheck.Check(t => F.Linear(t[0], t[1]), [In(3, 4), In(2, 4)]);

    [Fact] public void Relu() => GradCheck.Check(t => t[0].Relu(), [Away(4, 5)]);
    [Fact] public void LeakyRelu() => GradCheck.Check(t => t[0].LeakyRelu(0.2f), [Away(4, 5)]);
    [Fact] public void Sigmoid() => GradCheck.Check(t => t[0].Sigmoid(), [In(4, 5)]);
    [Fact] public void Tanh() => GradCheck.Check(t => t[0].Tanh(), [In(4, 5)]);
    [Fact] public void Exp() => GradCheck.Check(t => t[0].Exp(), [In(4, 5)]);
    [Fact] public void Log() => GradCheck.Check(t => t[0].Log(), [Positive(4, 5)]);
    [Fact] public void Softplus() => GradCheck.Check(t => t[0].Softplus(), [GradCheck.Input(G, [4, 5], -6f, 6f)]);
    [Fact] public void Square() => GradCheck.Check(t => t[0].Square(), [In(4, 5)]);
    [Fact] public void Sqrt() => GradCheck.Check(t => t[0].Sqrt(), [Positive(4, 5)]);
    [Fact] public void Abs() => GradCheck.Check(t => t[0].Abs(), [Away(4, 5)]);

    [Fact] public void Sum_of_all_elements() => GradCheck.Check(t => t[0].Sum(), [In(3, 4)]);
    [Fact] public void Sum_along_the_first_dimension() => GradCheck.Check(t => t[0].Sum(0), [In(3, 4)]);
    [Fact] public void Sum_along_the_last_dimension_keeping_it() => GradCheck.Check(t => t[0].Sum(-1, keepDim: true), [In(2, 3, 4)]);
    [Fact] public void Sum_along_a_middle_dimension() => GradCheck.Check(t => t[0].Sum(1), [In(2, 3, 4)]);
    [Fact] public void Mean_of_all_elements() => GradCheck.Check(t => t[0].Mean(), [In(3, 4)]);
    [Fact] public void Mean_along_a_dimension() => GradCheck.Check(t => t[0].Mean(1), [In(3, 4)]);

    [Fact] public void Reshape() => GradCheck.Check(t => t[0].Reshape(4, -1) * t[1], [In(2, 6), In(4, 3)]);
    [Fact] public void Narrow_rows() => GradCheck.Check(t => t[0].Narrow(0, 1, 2) * t[1], [In(4, 3), In(2, 3)]);
    [Fact] public void Cat_along_rows() => GradCheck.Check(t => Tensor.Cat([t[0], t[1]], 0), [In(2, 3), In(1, 3)]);
    [Fact] public void Cat_along_columns() => GradCheck.Check(t => Tensor.Cat([t[0], t[1], t[0]], 1), [In(2, 3), In(2, 2)]);

    [Fact] public void Binary_cross_entropy_on_logits()
        => GradCheck.Check(t => F.BinaryCrossEntropyWithLogits(t[0], t[1], Reduction.Sum), [GradCheck.Input(G, [3, 4], -4f, 4f), GradCheck.Input(G, [3, 4], 0f, 1f)]);
    [Fact] public void Binary_cross_entropy_on_logits_against_a_fixed_target_uses_the_fused_training_path()
        => GradCheck.Check(t => F.BinaryCrossEntropyWithLogits(t[0], t[1]), [GradCheck.Input(G, [5, 3000], -6f, 6f), Constant(G, [5, 3000])], absTol: 1e-4, relTol: 2e-2);
    [Fact] public void Binary_cross_entropy_on_probabilities_with_mean()
        => GradCheck.Check(t => F.BinaryCrossEntropy(t[0], t[1]), [GradCheck.Input(G, [3, 4], 0.1f, 0.9f), GradCheck.Input(G, [3, 4], 0f, 1f)], step: 1e-3f);
    [Fact] public void Squared_error_flows_to_both_sides()
        => GradCheck.Check(t => F.SquaredError(t[0], t[1], Reduction.Sum), [In(3, 4), In(3, 4)]);
    [Fact] public void Gaussian_nll_with_fixed_sigma()
        => GradCheck.Check(t => F.GaussianNll(t[0], t[1], 0.7f), [In(3, 4), Constant(G, [3, 4])]);
    [Fact] public void Gaussian_nll_with_a_learned_log_scale()
        => GradCheck.Check(t => F.GaussianNllLearnedScale(t[0], t[1], t[2]), [In(3, 4), In(1), Constant(G, [3, 4])]);
    [Fact] public void Kl_to_a_standard_normal_in_closed_form()
        => GradCheck.Check(t => F.KlStandardNormal(t[0], t[1]), [In(3, 4), In(3, 4)]);
    [Fact] public void Kl_monte_carlo_estimate_through_z_mu_and_std()
        => GradCheck.Check(t => F.KlMonteCarlo(t[0], t[1], t[2]), [In(3, 4), In(3, 4), Positive(3, 4)]);
    [Fact] public void Reparameterization_with_fixed_noise()
    {
        var eps = Constant(G, [3, 4]);
        GradCheck.Check(t => F.Reparameterize(t[0], t[1], eps), [In(3, 4), In(3, 4)]);
    }

    /// <summary>A target: values that take no gradient.</summary>
    private static Tensor Constant(Generator g, int[] shape)
    {
        var values = new float[ShapeOf.Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = g.NextFloat();
        return Tensor.FromArray(values, shape);
    }
}
