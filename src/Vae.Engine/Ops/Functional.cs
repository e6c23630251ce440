using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

/// <summary>
/// The differentiable operations, in the spirit of torch.nn.functional. Each op computes its
/// output with backend kernels and, when a gradient is needed, records right beside it the
/// function that adds the output's gradient into its inputs' gradients.
/// </summary>
public static partial class F
{
    private static void SameBackend(Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Backend, b.Backend))
            throw new ArgumentException($"Tensors live on different backends ({a.Backend.Name} and {b.Backend.Name}).");
    }

    private static void SameShape(Tensor a, Tensor b, string op)
    {
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
            throw new ArgumentException($"{op} needs tensors of the same shape, got {ShapeOf.Format(a.Shape)} and {ShapeOf.Format(b.Shape)}.");
    }
}
