using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>Joins tensors along a dimension; all other dimensions must match. Inputs may be strided views.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat needs at least one tensor.");
        var first = tensors[0];
        int d = ShapeOf.Dim(dim, first.Rank);
        var shape = (int[])first.Shape.Clone();
        shape[d] = 0;
        foreach (var t in tensors)
        {
            SameBackend(first, t);
            if (t.Rank != first.Rank) throw new ArgumentException($"Cat needs tensors of one rank, got {ShapeOf.Format(first.Shape)} and {ShapeOf.Format(t.Shape)}.");
            for (int i = 0; i < t.Rank; i++)
                if (i != d && t.Shape[i] != first.Shape[i])
                    throw new ArgumentException($"Cat along dimension {d} needs the other dimensions equal, got {ShapeOf.Format(first.Shape)} and {ShapeOf.Format(t.Shape)}.");
            shape[d] += t.Shape[d];
        }
        var y = Tensor.Empty(shape, first.Backend);
        int stride = y.Strides[d];
        var starts = new int[tensors.Count];
        int start = 0;
        for (int j = 0; j < tensors.Count; j++)
        {
            var t = tensors[j];
            starts[j] = start;
            // Each input lands in the output's slice [start, start + size) along d, read through the output's strides.
            t.Backend.Copy(t.Origin, t.Strides, y.Buffer.At(start * stride), y.Strides, t.Shape, accumulate: false);
            start += t.Shape[d];
        }
        var inputs = tensors.ToArray();
        if (Autograd.Needs(inputs))
            Autograd.Record(y, "cat", inputs, dy =>
            {
                for (int j = 0; j < inputs.Length; j++)
                {
                    var t = inputs[j];
                    if (!t.RequiresGrad) continue;
                    var grad = t.GradForAccumulation();
                    t.Backend.Copy(dy.Buffer.At(starts[j] * stride), dy.Strides, grad.Buffer, grad.Strides, t.Shape, accumulate: true);
                }
            });
        return y;
    }
}
