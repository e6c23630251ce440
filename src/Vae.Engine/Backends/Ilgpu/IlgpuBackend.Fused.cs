using ILGPU;
using ILGPU.Runtime;

namespace Vae.Engine.Backends.Ilgpu;

/// <summary>
/// The fused kernels that pay off on a GPU, where every launch costs a few microseconds whatever
/// it does: the dense layer's tail, the VAE losses (a sum and its gradient without a trip to the
/// host: the upstream gradient is read on the device), batch norm, upsampling and the optimizer
/// steps. The 3x3 convolution kernels are left to im2col + GEMM, which the GEMM path serves well.
/// </summary>
public sealed partial class IlgpuBackend
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, float> _biasActivation = null!;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _activationBackward = null!;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int> _columnSum = null!;
    private Action<Index1D, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _lossBackward = null!;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _reparameterize = null!;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _reparameterizeBackward = null!;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int> _upsample = null!, _upsampleBackward = null!;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamArgs> _adam = null!;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdArgs> _sgd = null!;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int> _pairSumPartials = null!;
    private Action<KernelConfig, ArrayView<double>, ArrayView<float>, int> _sumPartials = null!;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormArgs> _batchNorm = null!;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormArgs> _batchNormBackward = null!;
    private MemoryBuffer1D<double, Stride1D.Dense> _partials = null!;

    /// <summary>Threads per group of the reductions: 256 on a GPU, fewer where the accelerator allows fewer.</summary>
    private int GroupSize { get; set; }

    private void LoadFusedKernels()
    {
        var acc = _accelerator;
        GroupSize = Math.Min(IlgpuGroupKernels.MaxGroup, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)acc.MaxNumThreadsPerGroup + 1) / 2);
        _biasActivation = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, float>(IlgpuKernels.BiasActivation);
        _activationBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(IlgpuKernels.ActivationBackward);
        _columnSum = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuKernels.ColumnSum);
        _lossBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuKernels.LossBackward);
        _reparameterize = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(IlgpuKernels.Reparameterize);
        _reparameterizeBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.ReparameterizeBackward);
        _upsample = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuKernels.UpsampleNearest);
        _upsampleBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(IlgpuKernels.UpsampleNearestBackward);
        _adam = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamArgs>(IlgpuKernels.AdamStep);
        _sgd = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdArgs>(IlgpuKernels.SgdStep);
        _pairSumPartials = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int>(IlgpuGroupKernels.PairSumPartials);
        _sumPartials = acc.LoadStreamKernel<ArrayView<double>, ArrayView<float>, int>(IlgpuGroupKernels.SumPartials);
        _batchNorm = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormArgs>(
            IlgpuGroupKernels.BatchNormForward);
        _batchNormBackward = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormArgs>(IlgpuGroupKernels.BatchNormBackward);
        _partials = acc.Allocate1D<double>(IlgpuGroupKernels.MaxGroup);
    }

    // ---- dense layers ----

    // The device product reads either layout at the same speed; a copy would only take memory.
    public bool ReadsTransposedWeightsFaster => false;

    public void BiasActivation(BufferRef y, BufferRef? bias, int rows, int cols, Activation activation, float slope)
    {
        if (rows * cols == 0 || (bias is null && activation == Activation.None)) return;
        lock (_launch) _biasActivation(rows * cols, View(y), View(bias ?? y), cols, bias is null ? 0 : 1, (int)activation, slope);
    }

    public void ActivationBackward(Activation activation, float slope, BufferRef y, BufferRef dy, BufferRef dz, int count)
    {
        if (count == 0) return;
        lock (_launch) _activationBackward(count, View(y), View(dy), View(dz), (int)activation, slope);
    }

    public void ColumnSum(BufferRef x, int rows, int cols, BufferRef y, bool accumulate)
    {
        if (cols == 0) return;
        lock (_launch) _columnSum(cols, View(x), View(y), rows, cols, accumulate ? 1 : 0);
    }

    public void LinearGradients(BufferRef dz, BufferRef x, BufferRef weight, int rows, int inFeatures, int outFeatures, GradientTarget? dWeight, GradientTarget? dX)
    {
        // One stream runs the two products one after the other; beta 0 writes over a target's old contents.
        if (dWeight is { } dw) Gemm(true, false, outFeatures, inFeatures, rows, 1f, dz, outFeatures, x, inFeatures, dw.Overwrite ? 0f : 1f, dw.Buffer, inFeatures);
        if (dX is { } dx) Gemm(false, false, rows, inFeatures, outFeatures, 1f, dz, outFeatures, weight, inFeatures, dx.Overwrite ? 0f : 1f, dx.Buffer, inFeatures);
    }

    // ---- losses ----

    /// <summary>result[0] = the sum of the pair terms, in two stages: partial sums per group, then one group adds them up.</summary>
    private void PairSum(int kind, BufferRef a, BufferRef b, int count, BufferRef result, BufferRef? gradient)
    {
        if (count == 0)
        {
            Fill(result, 1, 0f);
            return;
        }
        int groups = Math.Clamp((count + (GroupSize * 4) - 1) / (GroupSize * 4), 1, IlgpuGroupKernels.MaxGroup);
        lock (_launch)
        {
            _pairSumPartials(new KernelConfig(groups, GroupSize), View(a), View(b), View(gradient ?? a), _partials.View, count, kind);
            _sumPartials(new KernelConfig(1, GroupSize), _partials.View, View(result), groups);
        }
    }

    private void PairBackward(int kind, BufferRef upstream, float scale, BufferRef a, BufferRef b, BufferRef? da, BufferRef? db, int count)
    {
        if (count == 0 || (da is null && db is null)) return;
        int which = (da is null ? 0 : 1) | (db is null ? 0 : 2);
        lock (_launch) _lossBackward(count, View(upstream), scale, View(a), View(b), View(da ?? a), View(db ?? b), kind, which);
    }

    public void BceWithLogits(BufferRef logits, BufferRef target, int count, BufferRef result)
        => PairSum(PairTerms.BceLogits, logits, target, count, result, null);

    public void BceWithLogitsAndGradient(BufferRef logits, BufferRef target, int count, BufferRef result, BufferRef gradient)
        => PairSum(PairTerms.BceLogitsWithGradient, logits, target, count, result, gradient);

    public void ScaledAdd(BufferRef upstream, float scale, BufferRef x, BufferRef y, int count, bool overwrite)
    {
        if (count == 0) return;
        int kind = overwrite ? IlgpuKernels.LossBackwardScaled : IlgpuKernels.LossBackwardScaledAdd;
        lock (_launch) _lossBackward(count, View(upstream), scale, View(x), View(x), View(y), View(y), kind, 1);
    }

    public void BceWithLogitsBackward(BufferRef upstream, float scale, BufferRef logits, BufferRef target, BufferRef? dLogits, BufferRef? dTarget, int count)
        => PairBackward(PairTerms.BceLogits, upstream, scale, logits, target, dLogits, dTarget, count);

    public void Bce(BufferRef probabilities, BufferRef target, int count, BufferRef result)
        => PairSum(PairTerms.Bce, probabilities, target, count, result, null);

    public void BceBackward(BufferRef upstream, float scale, BufferRef probabilities, BufferRef target, BufferRef? dProbabilities, BufferRef? dTarget, int count)
        => PairBackward(PairTerms.Bce, upstream, scale, probabilities, target, dProbabilities, dTarget, count);

    public void SquaredError(BufferRef a, BufferRef b, int count, BufferRef result)
        => PairSum(PairTerms.Squared, a, b, count, result, null);

    public void SquaredErrorBackward(BufferRef upstream, float scale, BufferRef a, BufferRef b, BufferRef? da, BufferRef? db, int count)
        => PairBackward(PairTerms.Squared, upstream, scale, a, b, da, db, count);

    // ---- the latent layer ----

    public void KlStandardNormal(BufferRef mu, BufferRef logVar, int count, BufferRef result)
        => PairSum(PairTerms.Kl, mu, logVar, count, result, null);

    public void KlStandardNormalBackward(BufferRef upstream, float scale, BufferRef mu, BufferRef logVar, BufferRef? dMu, BufferRef? dLogVar, int count)
        => PairBackward(PairTerms.Kl, upstream, scale, mu, logVar, dMu, dLogVar, count);

    public void Reparameterize(BufferRef mu, BufferRef logVar, BufferRef eps, BufferRef z, int count)
    {
        if (count == 0) return;
        lock (_launch) _reparameterize(count, View(mu), View(logVar), View(eps), View(z));
    }

    public void ReparameterizeBackward(BufferRef logVar, BufferRef eps, BufferRef dz, BufferRef? dMu, BufferRef? dLogVar, int count)
    {
        if (count == 0 || (dMu is null && dLogVar is null)) return;
        int which = (dMu is null ? 0 : 1) | (dLogVar is null ? 0 : 2);
        lock (_launch) _reparameterizeBackward(count, View(logVar), View(eps), View(dz), View(dMu ?? dz), View(dLogVar ?? dz), which);
    }

    // ---- batch norm ----

    public void BatchNormForward(BufferRef x, BufferRef y, int n, int channels, int inner, BufferRef? weight, BufferRef? bias, BufferRef? residual,
        Activation activation, BufferRef mean, BufferRef invStd, bool batchStatistics, float eps)
    {
        if (activation is not (Activation.None or Activation.Relu))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Batch norm fuses only ReLU.");
        if (channels == 0) return;
        var args = new NormArgs
        {
            N = n, Channels = channels, Inner = inner, Eps = eps,
            Flags = (weight is null ? 0 : NormFlags.Weight) | (bias is null ? 0 : NormFlags.Bias) | (residual is null ? 0 : NormFlags.Residual)
                | (activation == Activation.Relu ? NormFlags.Relu : 0) | (batchStatistics ? NormFlags.BatchStatistics : 0),
        };
        lock (_launch)
            _batchNorm(new KernelConfig(channels, GroupSize), View(x), View(y), View(weight ?? mean), View(bias ?? mean), View(residual ?? x), View(mean), View(invStd), args);
    }

    public void BatchNormBackward(BufferRef x, BufferRef y, BufferRef dy, int n, int channels, int inner, BufferRef? weight, Activation activation,
        BufferRef mean, BufferRef invStd, bool batchStatistics, BufferRef? dx, BufferRef? dWeight, BufferRef? dBias, BufferRef? dResidual)
    {
        if (activation is not (Activation.None or Activation.Relu))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Batch norm fuses only ReLU.");
        if (channels == 0) return;
        var args = new NormArgs
        {
            N = n, Channels = channels, Inner = inner,
            Flags = (weight is null ? 0 : NormFlags.Weight) | (activation == Activation.Relu ? NormFlags.Relu : 0) | (batchStatistics ? NormFlags.BatchStatistics : 0)
                | (dx is null ? 0 : NormFlags.Dx) | (dWeight is null ? 0 : NormFlags.DWeight) | (dBias is null ? 0 : NormFlags.DBias) | (dResidual is null ? 0 : NormFlags.DResidual),
        };
        lock (_launch)
            _batchNormBackward(new KernelConfig(channels, GroupSize), View(x), View(y), View(dy), View(weight ?? mean), View(mean), View(invStd),
                View(dx ?? dy), View(dWeight ?? mean), View(dBias ?? mean), View(dResidual ?? dy), args);
    }

    // ---- upsampling ----

    public void UpsampleNearest(BufferRef x, BufferRef y, int outer, int h, int w, int sh, int sw)
    {
        int total = outer * h * sh * w * sw;
        if (total == 0) return;
        lock (_launch) _upsample(total, View(x), View(y), h, w, sh, sw);
    }

    public void UpsampleNearestBackward(BufferRef dy, BufferRef dx, int outer, int h, int w, int sh, int sw)
    {
        int total = outer * h * w;
        if (total == 0) return;
        lock (_launch) _upsampleBackward(total, View(dy), View(dx), h, w, sh, sw);
    }

    // ---- optimizers ----

    public void AdamStep(BufferRef parameter, BufferRef gradient, BufferRef firstMoment, BufferRef secondMoment, int count, AdamStepArgs args)
    {
        if (count == 0) return;
        var a = new AdamArgs
        {
            StepSize = args.StepSize, Beta1 = args.Beta1, Beta2 = args.Beta2, Epsilon = args.Epsilon, WeightDecay = args.WeightDecay,
            InverseBiasCorrection2Sqrt = 1f / args.BiasCorrection2Sqrt,
        };
        lock (_launch) _adam(count, View(parameter), View(gradient), View(firstMoment), View(secondMoment), a);
    }

    public void SgdStep(BufferRef parameter, BufferRef gradient, BufferRef? momentumBuffer, int count, SgdStepArgs args)
    {
        if (count == 0) return;
        var a = new SgdArgs
        {
            LearningRate = args.LearningRate, Momentum = args.Momentum, Dampening = args.Dampening, WeightDecay = args.WeightDecay,
            Nesterov = args.Nesterov ? 1 : 0, FirstStep = args.FirstStep ? 1 : 0, HasMomentum = momentumBuffer is null ? 0 : 1,
        };
        lock (_launch) _sgd(count, View(parameter), View(gradient), View(momentumBuffer ?? gradient), a);
    }
}
