using Vae.Engine.Tensors;

namespace Vae.Engine.Backends;

/// <summary>
/// Everything a device must do for the engine. Ops in <c>Ops/</c> call only these kernels, so a
/// new device is one implementation of this interface that passes the shared op tests.
/// Conventions: buffers are contiguous row-major float32; "Backward" kernels add into their
/// gradient buffers; reductions write a single float into a result buffer so nothing forces a
/// copy to the host until someone asks for the value.
/// </summary>
public interface IBackend
{
    string Name { get; }

    /// <summary>A storage of at least <paramref name="length"/> elements; contents unspecified.</summary>
    Storage Allocate(int length);
    /// <summary>Takes back a storage nobody refers to any more.</summary>
    void Recycle(Storage storage);

    void Upload(ReadOnlySpan<float> source, BufferRef destination);
    void Download(BufferRef source, Span<float> destination);
    void Fill(BufferRef destination, int count, float value);
    void Copy(BufferRef source, BufferRef destination, int count);
    /// <summary>y += alpha * x.</summary>
    void Axpy(float alpha, BufferRef x, BufferRef y, int count);
    /// <summary>Copies (or adds) a rows x cols block between buffers with the given row strides.</summary>
    void CopyBlock(BufferRef source, int sourceStride, BufferRef destination, int destinationStride, int rows, int cols, bool accumulate);
    /// <summary>Standard normal samples drawn from <paramref name="generator"/> in order.</summary>
    void FillNormal(BufferRef destination, int count, Generator generator);

    /// <summary>C = alpha * op(A) * op(B) + beta * C, row-major; beta = 0 overwrites C.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, BufferRef a, int lda, BufferRef b, int ldb, float beta, BufferRef c, int ldc);

    void Unary(UnaryKind kind, float alpha, BufferRef x, BufferRef y, int count);
    /// <summary>dx += dy * f'(x), where y = f(x) is given too because some derivatives are cheaper from it.</summary>
    void UnaryBackward(UnaryKind kind, float alpha, BufferRef x, BufferRef y, BufferRef dy, BufferRef dx, int count);

    void Binary(BinaryKind kind, BufferRef a, BufferRef b, BufferRef y, BroadcastShape shape);
    /// <summary>Adds the gradients of y = a op b into da and db (either may be absent), summing over broadcast dimensions.</summary>
    void BinaryBackward(BinaryKind kind, BufferRef a, BufferRef b, BufferRef dy, BufferRef? da, BufferRef? db, BroadcastShape shape);

    /// <summary>y[o, i] = sum over d of x[o, d, i] for x viewed as (outer, size, inner).</summary>
    void Sum(BufferRef x, BufferRef y, int outer, int size, int inner);
    /// <summary>dx[o, d, i] += dy[o, i].</summary>
    void SumBackward(BufferRef dy, BufferRef dx, int outer, int size, int inner);

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
    /// <summary>dl += upstream[0] * scale * (sigmoid(l) - t); dt -= upstream[0] * scale * l. Loss backward kernels read the upstream gradient on the device.</summary>
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

    void AdamStep(BufferRef parameter, BufferRef gradient, BufferRef firstMoment, BufferRef secondMoment, int count, AdamStepArgs args);
    void SgdStep(BufferRef parameter, BufferRef gradient, BufferRef? momentumBuffer, int count, SgdStepArgs args);
}

/// <summary>Scalars of one Adam update; the bias corrections are folded in by the optimizer.</summary>
public readonly record struct AdamStepArgs(float StepSize, float Beta1, float Beta2, float Epsilon, float WeightDecay, float BiasCorrection2Sqrt);

public readonly record struct SgdStepArgs(float LearningRate, float Momentum, float Dampening, float WeightDecay, bool Nesterov, bool FirstStep);
