namespace Vae.Engine.Backends;

/// <summary>
/// The element-wise tail of a dense layer and its backward pass: bias, activation and the bias gradient, each in one pass over the product.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is
/// null; the composed form is the test oracle.
/// </summary>
public interface IDenseKernels
{
    /// <summary>
    /// Whether its product x W^T runs faster from W^T laid out (in, out) than from W as stored, so a
    /// frozen layer (see <see cref="Nn.Module.Freeze"/>) keeps that copy for its forward passes.
    /// </summary>
    bool ReadsTransposedWeightsFaster { get; }
    /// <summary>In place: y = act(y + bias), bias broadcast over rows (optional).</summary>
    void BiasActivation(BufferRef y, BufferRef? bias, int rows, int cols, Activation activation, float slope);
    /// <summary>dz = dy * act'(y), overwriting dz; the derivative is taken from the activation's output y.</summary>
    void ActivationBackward(Activation activation, float slope, BufferRef y, BufferRef dy, BufferRef dz, int count);
    /// <summary>y[c] (+)= sum over rows of x[r, c].</summary>
    void ColumnSum(BufferRef x, int rows, int cols, BufferRef y, bool accumulate);
    /// <summary>
    /// The gradients of y = x W^T from dz (rows, outFeatures): dWeight (outFeatures, inFeatures) (+)= dz^T x
    /// and dX (rows, inFeatures) (+)= dz W, each optional and each added or written as its target says
    /// (<see cref="GradientTarget"/>). The two products are independent and equally large, so a
    /// backend may run them side by side.
    /// </summary>
    void LinearGradients(BufferRef dz, BufferRef x, BufferRef weight, int rows, int inFeatures, int outFeatures, GradientTarget? dWeight, GradientTarget? dX);
}
