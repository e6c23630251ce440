namespace Vae.Engine.Backends;

/// <summary>
/// One optimizer update of a parameter in a single pass over it, instead of a handful of element-wise ops and their temporaries.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is
/// null; the composed form is the test oracle.
/// </summary>
public interface IOptimizerKernels
{
    void AdamStep(BufferRef parameter, BufferRef gradient, BufferRef firstMoment, BufferRef secondMoment, int count, AdamStepArgs args);
    void SgdStep(BufferRef parameter, BufferRef gradient, BufferRef? momentumBuffer, int count, SgdStepArgs args);
}

/// <summary>Scalars of one Adam update; the bias corrections are folded in by the optimizer.</summary>
public readonly record struct AdamStepArgs(float StepSize, float Beta1, float Beta2, float Epsilon, float WeightDecay, float BiasCorrection2Sqrt);

public readonly record struct SgdStepArgs(float LearningRate, float Momentum, float Dampening, float WeightDecay, bool Nesterov, bool FirstStep);
