using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

/// <summary>
/// The differentiable operations, in the spirit of torch.nn.functional. Each op computes its
/// output with backend kernels and, when a gradient is needed, records right beside it the
/// function that adds the output's gradient into its inputs' gradients. Where a backend offers
/// a fused kernel for an op it is used; otherwise the op is composed from primitive ops.
/// </summary>
public static partial class F
{
    private static void SameBackend(Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Backend, b.Backend))
            throw new ArgumentException($"Tensors live on different backends ({a.Backend.Name} and {b.Backend.Name}); move one with Module.To or copy it.");
    }

    private static void SameShape(Tensor a, Tensor b, string op)
    {
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
            throw new ArgumentException($"{op} needs tensors of the same shape, got {ShapeOf.Format(a.Shape)} and {ShapeOf.Format(b.Shape)}.");
    }

    /// <summary>The tensor itself when dense, else a dense copy that passes gradients back to it.</summary>
    private static Tensor Dense(Tensor x) => x.IsContiguous ? x : Contiguous(x);
}
