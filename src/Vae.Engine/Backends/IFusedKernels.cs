namespace Vae.Engine.Backends;

/// <summary>
/// Optional composite kernels: each does in one or two passes what a handful of primitive ops
/// would. An op uses them when its backend offers them (<see cref="IBackend.Fused"/>) and
/// otherwise composes the same math from primitives; the composed form is the test oracle.
/// Loss kernels take the upstream gradient as a device buffer, so backward never reads it on the host.
/// </summary>
public interface IFusedKernels
{
    /// <summary>In place: y = act(y + bias), bias broadcast over rows (optional).</summary>
    void BiasActivation(BufferRef y, BufferRef? bias, int rows, int cols, Activation activation, float slope);
    /// <summary>dz = dy * act'(y), overwriting dz; the derivative is taken from the activation's output y.</summary>
    void ActivationBackward(Activation activation, float slope, BufferRef y, BufferRef dy, BufferRef dz, int count);
    /// <summary>y[c] (+)= sum over rows of x[r, c].</summary>
    void ColumnSum(BufferRef x, int rows, int cols, BufferRef y, bool accumulate);

    /// <summary>result = sum of softplus(l) - t * l (binary cross-entropy on logits).</summary>
    void BceWithLogits(BufferRef logits, BufferRef target, int count, BufferRef result);
    /// <summary>
    /// The training form of <see cref="BceWithLogits"/>: result = the sum, and gradient = sigmoid(l) - t
    /// (overwritten), from one exponential per element, so the backward pass is a scaled add.
    /// </summary>
    void BceWithLogitsAndGradient(BufferRef logits, BufferRef target, int count, BufferRef result, BufferRef gradient);
    /// <summary>y += upstream[0] * scale * x.</summary>
    void ScaledAdd(BufferRef upstream, float scale, BufferRef x, BufferRef y, int count);
    /// <summary>dl += upstream[0] * scale * (sigmoid(l) - t); dt -= upstream[0] * scale * l.</summary>
    void BceWithLogitsBackward(BufferRef upstream, float scale, BufferRef logits, BufferRef target, BufferRef? dLogits, BufferRef? dTarget, int count);
    /// <summary>result = -sum of t log p + (1 - t) log(1 - p), each log clamped at -100 as PyTorch does.</summary>
    void Bce(BufferRef probabilities, BufferRef target, int count, BufferRef result);
    /// <summary>dp += s (p - t) / max(p (1 - p), 1e-12); dt -= s (log p - log(1 - p)), logs clamped at -100.</summary>
    void BceBackward(BufferRef upstream, float scale, BufferRef probabilities, BufferRef target, BufferRef? dProbabilities, BufferRef? dTarget, int count);
    /// <summary>result = sum of (a - b)^2.</summary>
    void SquaredError(BufferRef a, BufferRef b, int count, BufferRef result);
    /// <summary>da += scale * 2 (a - b); db -= the same.</summary>
    void SquaredErrorBackward(BufferRef upstream, float scale, BufferRef a, BufferRef b, BufferRef? da, BufferRef? db, int count);
    /// <summary>result = -0.5 * sum of 1 + logvar - mu^2 - exp(logvar): KL(N(mu, var) || N(0, 1)).</summary>
    void KlStandardNormal(BufferRef mu, BufferRef logVar, int count, BufferRef result);
    void KlStandardNormalBackward(BufferRef upstream, float scale, BufferRef mu, BufferRef logVar, BufferRef? dMu, BufferRef? dLogVar, int count);
    /// <summary>z = mu + eps * exp(logvar / 2).</summary>
    void Reparameterize(BufferRef mu, BufferRef logVar, BufferRef eps, BufferRef z, int count);
    void ReparameterizeBackward(BufferRef logVar, BufferRef eps, BufferRef dz, BufferRef? dMu, BufferRef? dLogVar, int count);

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

    /// <summary>
    /// A 3x3 convolution with stride 1 and padding 1 and no bias, the bulk of a residual network,
    /// by an algorithm faster than im2col: y (n, outChannels, h, w) = conv(x (n, inChannels, h, w), weight (outChannels, inChannels, 3, 3)).
    /// </summary>
    void Conv3x3Forward(BufferRef x, BufferRef weight, BufferRef y, int n, int inChannels, int outChannels, int h, int w);
    /// <summary>The gradients of <see cref="Conv3x3Forward"/>, added into dx and dWeight (each optional).</summary>
    void Conv3x3Backward(BufferRef x, BufferRef weight, BufferRef dy, int n, int inChannels, int outChannels, int h, int w, BufferRef? dx, BufferRef? dWeight);

    /// <summary>Nearest-neighbour upsampling of (outer, h, w) planes by (sh, sw): y (outer, h*sh, w*sw).</summary>
    void UpsampleNearest(BufferRef x, BufferRef y, int outer, int h, int w, int sh, int sw);
    /// <summary>dx[o, i, j] += sum of dy over the block (i, j) became.</summary>
    void UpsampleNearestBackward(BufferRef dy, BufferRef dx, int outer, int h, int w, int sh, int sw);

    void AdamStep(BufferRef parameter, BufferRef gradient, BufferRef firstMoment, BufferRef secondMoment, int count, AdamStepArgs args);
    void SgdStep(BufferRef parameter, BufferRef gradient, BufferRef? momentumBuffer, int count, SgdStepArgs args);
}

/// <summary>Scalars of one Adam update; the bias corrections are folded in by the optimizer.</summary>
public readonly record struct AdamStepArgs(float StepSize, float Beta1, float Beta2, float Epsilon, float WeightDecay, float BiasCorrection2Sqrt);

public readonly record struct SgdStepArgs(float LearningRate, float Momentum, float Dampening, float WeightDecay, bool Nesterov, bool FirstStep);
