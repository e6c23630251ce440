namespace Vae.Engine.Backends;

/// <summary>
/// Batch normalisation with its residual add and ReLU in one kernel each way: the bulk of a residual network's element-wise work.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is
/// null; the composed form is the test oracle.
/// </summary>
public interface IBatchNormKernels
{
    /// <summary>
    /// Batch normalisation of x viewed as (n, channels, inner), then an optional residual added and
    /// an optional ReLU: y = act((x - mean) * invStd * weight + bias + residual). With
    /// <paramref name="batchStatistics"/> the kernel first computes each channel's mean and biased
    /// variance over n * inner values and writes the mean and 1 / sqrt(var + eps) to
    /// <paramref name="mean"/> and <paramref name="invStd"/>; otherwise it reads them. Weight, bias
    /// and residual are optional; activation is None or Relu.
    /// </summary>
    void BatchNormForward(BufferRef x, BufferRef y, int n, int channels, int inner, BufferRef? weight, BufferRef? bias, BufferRef? residual,
        Activation activation, BufferRef mean, BufferRef invStd, bool batchStatistics, float eps);
    /// <summary>
    /// The gradients of <see cref="BatchNormForward"/> given its output y (for the ReLU's mask),
    /// added into dx, dWeight, dBias and dResidual (each optional). With batch statistics dx
    /// includes the paths through the mean and variance.
    /// </summary>
    void BatchNormBackward(BufferRef x, BufferRef y, BufferRef dy, int n, int channels, int inner, BufferRef? weight, Activation activation,
        BufferRef mean, BufferRef invStd, bool batchStatistics, BufferRef? dx, BufferRef? dWeight, BufferRef? dBias, BufferRef? dResidual);
}
