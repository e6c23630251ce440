namespace Vae.Engine.Backends;

/// <summary>
/// A faster algorithm than im2col for the convolution residual networks are made of.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is
/// null; the composed form is the test oracle.
/// </summary>
public interface IConv3x3Kernels
{
    /// <summary>
    /// A 3x3 convolution with stride 1 and padding 1 and no bias, the bulk of a residual network,
    /// by an algorithm faster than im2col: y (n, outChannels, h, w) = conv(x (n, inChannels, h, w), weight (outChannels, inChannels, 3, 3)).
    /// </summary>
    void Conv3x3Forward(BufferRef x, BufferRef weight, BufferRef y, int n, int inChannels, int outChannels, int h, int w);
    /// <summary>The gradients of <see cref="Conv3x3Forward"/>, added into dx and dWeight (each optional).</summary>
    void Conv3x3Backward(BufferRef x, BufferRef weight, BufferRef dy, int n, int inChannels, int outChannels, int h, int w, BufferRef? dx, BufferRef? dWeight);
}
