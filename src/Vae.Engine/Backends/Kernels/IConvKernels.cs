namespace Vae.Engine.Backends;

/// <summary>
/// Convolutions and transposed convolutions with their bias and activation applied in the same
/// pass, in NCHW, for any geometry. The composed form (im2col over the whole batch, one large
/// GEMM, a transposing copy into NCHW, then the bias and the activation as passes of their own)
/// is the test oracle.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is null.
/// </summary>
/// <remarks>
/// <para>
/// <c>g</c> is always the geometry of the convolution itself: for <see cref="ConvForward"/> from
/// x (n, g.Channels, g.Height, g.Width) to y (n, outChannels, g.OutHeight, g.OutWidth); for
/// <see cref="ConvTransposeForward"/> the convolution it is the adjoint of, from its output
/// y (n, g.Channels, g.Height, g.Width) back to its input x (n, inChannels, g.OutHeight, g.OutWidth).
/// </para>
/// <para>
/// The backward kernels take the activation's output y and derive the activation's gradient from it
/// (ReLU's and leaky ReLU's sign, the sigmoid's and tanh's value), so no pre-activation tensor is kept.
/// Gradients go to dx, dWeight and dBias, each optional: added to what they hold, or written in
/// place of it where the target says so (<see cref="GradientTarget"/>).
/// </para>
/// </remarks>
public interface IConvKernels
{
    /// <summary>y = act(conv(x, weight) + bias): weight (outChannels, g.Channels, kh, kw), bias (outChannels) optional.</summary>
    void ConvForward(BufferRef x, BufferRef weight, BufferRef? bias, BufferRef y, int n, int outChannels, in ConvGeometry g, Activation activation, float slope);

    /// <summary>The gradients of <see cref="ConvForward"/> from dy, the gradient of its output y.</summary>
    void ConvBackward(BufferRef x, BufferRef weight, BufferRef y, BufferRef dy, int n, int outChannels, in ConvGeometry g, Activation activation, float slope,
        GradientTarget? dx, GradientTarget? dWeight, GradientTarget? dBias);

    /// <summary>y = act(conv_transpose(x, weight) + bias): x (n, inChannels, g.OutHeight, g.OutWidth), weight (inChannels, g.Channels, kh, kw), bias (g.Channels) optional.</summary>
    void ConvTransposeForward(BufferRef x, BufferRef weight, BufferRef? bias, BufferRef y, int n, int inChannels, in ConvGeometry g, Activation activation, float slope);

    /// <summary>The gradients of <see cref="ConvTransposeForward"/> from dy, the gradient of its output y.</summary>
    void ConvTransposeBackward(BufferRef x, BufferRef weight, BufferRef y, BufferRef dy, int n, int inChannels, in ConvGeometry g, Activation activation, float slope,
        GradientTarget? dx, GradientTarget? dWeight, GradientTarget? dBias);
}
