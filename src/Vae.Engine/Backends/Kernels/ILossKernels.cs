namespace Vae.Engine.Backends;

/// <summary>
/// The VAE's reconstruction losses, each a sum and its gradient from one pass over the pixels. They take the upstream gradient as a device buffer, so backward never reads it on the host.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is
/// null; the composed form is the test oracle.
/// </summary>
public interface ILossKernels
{
    /// <summary>result = sum of softplus(l) - t * l (binary cross-entropy on logits).</summary>
    void BceWithLogits(BufferRef logits, BufferRef target, int count, BufferRef result);
    /// <summary>
    /// The training form of <see cref="BceWithLogits"/>: result = the sum, and gradient = sigmoid(l) - t
    /// (overwritten), from one exponential per element, so the backward pass is a scaled add.
    /// </summary>
    void BceWithLogitsAndGradient(BufferRef logits, BufferRef target, int count, BufferRef result, BufferRef gradient);
    /// <summary>y += upstream[0] * scale * x, or y = that when <paramref name="overwrite"/>; x and y may be the same buffer.</summary>
    void ScaledAdd(BufferRef upstream, float scale, BufferRef x, BufferRef y, int count, bool overwrite);
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
}
