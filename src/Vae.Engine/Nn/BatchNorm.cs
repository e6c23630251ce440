using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>
/// Batch normalisation over the channel dimension of (N, C), (N, C, L) or (N, C, H, W), as
/// PyTorch's BatchNorm1d/2d: learned scale (weight, 1) and shift (bias, 0); running mean (0) and
/// variance (1) as buffers, moved with momentum in training and used in eval. An optional ReLU is
/// fused in, so the normalised values before it are never stored.
/// </summary>
public sealed class BatchNorm : Layer
{
    public BatchNorm(int channels, IBackend backend, float momentum = 0.1f, float eps = 1e-5f, Activation activation = Activation.None)
    {
        Activation = activation;
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        Momentum = momentum;
        Eps = eps;
        Weight = RegisterParameter("weight", Init.Constant([channels], 1f, backend));
        Bias = RegisterParameter("bias", Init.Constant([channels], 0f, backend));
        RunningMean = RegisterBuffer("running_mean", Init.Buffer([channels], 0f, backend));
        RunningVar = RegisterBuffer("running_var", Init.Buffer([channels], 1f, backend));
    }

    public Tensor Weight { get; }       // (C)
    public Tensor Bias { get; }         // (C)
    public Tensor RunningMean { get; }  // (C)
    public Tensor RunningVar { get; }   // (C)
    public float Momentum { get; }
    public float Eps { get; }
    /// <summary>None, or a ReLU applied in the same pass.</summary>
    public Activation Activation { get; }

    public override Tensor Forward(Tensor input) => F.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps, activation: Activation);

    /// <summary>act(bn(input) + residual): the end of a residual block, in one op.</summary>
    public Tensor Forward(Tensor input, Tensor residual) => F.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps, residual, Activation);

    /// <summary>Eval mode: the running statistics, then the activation.</summary>
    public override string Export(GraphBuilder graph, string input)
        => graph.Activate(graph.BatchNorm(input, Weight, Bias, RunningMean, RunningVar, Eps), Activation);

    /// <summary>act(bn(input) + residual) in eval mode.</summary>
    public string Export(GraphBuilder graph, string input, string residual)
        => graph.Activate(graph.Add(graph.BatchNorm(input, Weight, Bias, RunningMean, RunningVar, Eps), residual), Activation);

    public static long CountParameters(int channels) => 2L * channels;
}
