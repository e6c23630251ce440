using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>The same values under another shape (one dimension may be -1); shares memory.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var resolved = ResolveShape(x, shape);
        x.Storage.AddReference();
        var y = new Tensor(x.Storage, x.Offset, resolved);
        if (Autograd.Needs(x))
            Autograd.Record(y, "reshape", [x], dy => x.Backend.Axpy(1f, dy.Buffer, x.GradForAccumulation().Buffer, x.Count));
        return y;
    }

    /// <summary>Rows [start, start + count) of the first dimension; shares memory.</summary>
    public static Tensor Narrow(Tensor x, int start, int count)
    {
        if (x.Rank == 0) throw new ArgumentException("Cannot slice the rows of a scalar.");
        if (start < 0 || count < 0 || start + count > x.Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows {start}..{start + count} are outside a tensor with {x.Shape[0]} rows.");
        int rowSize = x.Shape[0] == 0 ? 0 : x.Count / x.Shape[0];
        var shape = (int[])x.Shape.Clone();
        shape[0] = count;
        x.Storage.AddReference();
        var y = new Tensor(x.Storage, x.Offset + start * rowSize, shape);
        if (Autograd.Needs(x))
            Autograd.Record(y, "narrow", [x], dy => x.Backend.Axpy(1f, dy.Buffer, x.GradForAccumulation().Buffer.At(start * rowSize), y.Count));
        return y;
    }

    /// <summary>Joins tensors along a dimension; all other dimensions must match.</summary>
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
        var (outer, total, inner) = ShapeOf.Around(shape, d);
        int column = 0;
        var columns = new int[tensors.Count];
        for (int j = 0; j < tensors.Count; j++)
        {
            var t = tensors[j];
            int width = t.Shape[d] * inner;
            columns[j] = column;
            // Each input is an (outer, width) block placed at a column offset of the (outer, total*inner) output.
            t.Backend.CopyBlock(t.Buffer, width, y.Buffer.At(column), total * inner, outer, width, accumulate: false);
            column += width;
        }
        var inputs = tensors.ToArray();
        if (Autograd.Needs(inputs))
            Autograd.Record(y, "cat", inputs, dy =>
            {
                for (int j = 0; j < inputs.Length; j++)
                {
                    var t = inputs[j];
                    if (!t.RequiresGrad) continue;
                    int width = t.Shape[d] * inner;
                    t.Backend.CopyBlock(dy.Buffer.At(columns[j]), total * inner, t.GradForAccumulation().Buffer, width, outer, width, accumulate: true);
                }
            });
        return y;
    }

    private static int[] ResolveShape(Tensor x, int[] shape)
    {
        var resolved = (int[])shape.Clone();
        int unknown = Array.IndexOf(resolved, -1);
        int known = 1;
        for (int i = 0; i < resolved.Length; i++)
            if (i != unknown)
            {
                if (resolved[i] < 0) throw new ArgumentException($"Invalid shape {ShapeOf.Format(shape)}: only one dimension may be -1.");
                known *= resolved[i];
            }
        if (unknown >= 0)
        {
            if (known == 0 || x.Count % known != 0) throw new ArgumentException($"Cannot reshape {ShapeOf.Format(x.Shape)} into {ShapeOf.Format(shape)}.");
            resolved[unknown] = x.Count / known;
        }
        if (ShapeOf.Count(resolved) != x.Count)
            throw new ArgumentException($"Cannot reshape {ShapeOf.Format(x.Shape)} ({x.Count} elements) into {ShapeOf.Format(shape)}.");
        return resolved;
    }
}
