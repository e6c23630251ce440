namespace Vae.Engine.Backends;

/// <summary>
/// Nearest-neighbour upsampling and its adjoint, without going through a strided copy.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is
/// null; the composed form is the test oracle.
/// </summary>
public interface IUpsampleKernels
{
    /// <summary>Nearest-neighbour upsampling of (outer, h, w) planes by (sh, sw): y (outer, h*sh, w*sw).</summary>
    void UpsampleNearest(BufferRef x, BufferRef y, int outer, int h, int w, int sh, int sw);
    /// <summary>dx[o, i, j] += sum of dy over the block (i, j) became.</summary>
    void UpsampleNearestBackward(BufferRef dy, BufferRef dx, int outer, int h, int w, int sh, int sw);
}
