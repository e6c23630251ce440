using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>(B, classes): row i is 1 at column labels[i], 0 elsewhere (torch's one_hot, as floats).</summary>
    public static Tensor OneHot(ReadOnlySpan<int> labels, int classes, IBackend backend)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var values = new float[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), $"Label {labels[i]} at position {i} is outside 0..{classes - 1}.");
            values[i * classes + labels[i]] = 1f;
        }
        return Tensor.FromArray(values, [labels.Length, classes], backend);
    }

    /// <summary>Rows of <paramref name="weight"/> (classes, dim) picked by label (torch's embedding): a one-hot product, so gradients sum per label.</summary>
    public static Tensor Embedding(ReadOnlySpan<int> labels, Tensor weight)
    {
        if (weight.Rank != 2) throw new ArgumentException($"An embedding table is (classes, dim), got {ShapeOf.Format(weight.Shape)}.");
        return MatMul(OneHot(labels, weight.Shape[0], weight.Backend), weight);
    }
}
