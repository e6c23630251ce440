using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

/// <summary>
/// Views: new shapes and strides over the same storage, no copy. A view's backward adds its
/// gradient into its source's (dense) gradient at the positions the view reads, which is the same
/// view taken over the dense layout of the source's shape.
/// </summary>
public static partial class F
{
    /// <summary>The same values in dense row-major memory: the tensor itself when it already is.</summary>
    public static Tensor Contiguous(Tensor x)
    {
        if (x.IsContiguous) return x;
        var y = Tensor.Empty(x.Shape, x.Backend);
        x.Backend.Copy(x.Origin, x.Strides, y.Buffer, y.Strides, x.Shape, accumulate: false);
        if (Autograd.Needs(x))
            Autograd.Record(y, "contiguous", [x], dy => AddInto(dy, x.GradForAccumulation()));
        return y;
    }

    /// <summary>The same values under another shape (one dimension may be -1). A view of a dense tensor; a copy of a strided one.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var resolved = ResolveShape(x, shape);
        x = Dense(x);
        return View(x, resolved, (_, offset) => (ShapeOf.DenseStrides(resolved), offset), "reshape", showsEachElementOnce: true);
    }

    /// <summary>Elements [start, start + length) along <paramref name="dim"/>; shares memory.</summary>
    public static Tensor Narrow(Tensor x, int dim, int start, int length)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        if (start < 0 || length < 0 || start + length > x.Shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Elements {start}..{start + length} of dimension {d} are outside a tensor of shape {ShapeOf.Format(x.Shape)}.");
        var shape = (int[])x.Shape.Clone();
        shape[d] = length;
        return View(x, shape, (strides, offset) => ((int[])strides.Clone(), offset + start * strides[d]), "narrow");
    }

    /// <summary>Swaps two dimensions; shares memory.</summary>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        var order = Enumerable.Range(0, x.Rank).ToArray();
        int a = ShapeOf.Dim(dim0, x.Rank), b = ShapeOf.Dim(dim1, x.Rank);
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(x, order);
    }

    /// <summary>Reorders the dimensions: dimension i of the result is dimension dims[i] of x; shares memory.</summary>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        if (dims.Length != x.Rank) throw new ArgumentException($"Permute needs {x.Rank} dimensions for a tensor of shape {ShapeOf.Format(x.Shape)}, got {dims.Length}.");
        var order = dims.Select(d => ShapeOf.Dim(d, x.Rank)).ToArray();
        if (order.Distinct().Count() != order.Length) throw new ArgumentException($"Permute's dimensions {ShapeOf.Format(dims)} repeat one.");
        var shape = order.Select(d => x.Shape[d]).ToArray();
        return View(x, shape, (strides, offset) => (order.Select(d => strides[d]).ToArray(), offset), "permute", showsEachElementOnce: true);
    }

    /// <summary>
    /// Repeats size-1 dimensions (and new leading ones) to <paramref name="shape"/> without copying
    /// (stride 0); -1 keeps a size. The backward pass sums over the repeats.
    /// </summary>
    public static Tensor Expand(Tensor x, params int[] shape)
    {
        int extra = shape.Length - x.Rank;
        if (extra < 0) throw new ArgumentException($"Cannot expand {ShapeOf.Format(x.Shape)} to fewer dimensions {ShapeOf.Format(shape)}.");
        var resolved = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            int own = i < extra ? 1 : x.Shape[i - extra];
            int want = shape[i] == -1 && i >= extra ? own : shape[i];
            if (want < 0 || (own != 1 && own != want))
                throw new ArgumentException($"Cannot expand {ShapeOf.Format(x.Shape)} to {ShapeOf.Format(shape)}: dimension {i} is {own}, and only size 1 can be repeated.");
            resolved[i] = want;
        }
        return View(x, resolved, (strides, offset) =>
        {
            var s = new int[resolved.Length];
            for (int i = extra; i < resolved.Length; i++) s[i] = x.Shape[i - extra] == 1 && resolved[i] != 1 ? 0 : strides[i - extra];
            return (s, offset);
        }, "expand");
    }

    /// <summary>A new dimension of size 1 at <paramref name="dim"/> (0..rank).</summary>
    public static Tensor Unsqueeze(Tensor x, int dim)
    {
        int d = dim < 0 ? dim + x.Rank + 1 : dim;
        if (d < 0 || d > x.Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range to insert into a tensor of rank {x.Rank}.");
        var shape = x.Shape.ToList();
        shape.Insert(d, 1);
        return View(x, [.. shape], (strides, offset) =>
        {
            var s = strides.ToList();
            s.Insert(d, d < strides.Length ? strides[d] * x.Shape[d] : 1);
            return ([.. s], offset);
        }, "unsqueeze", showsEachElementOnce: true);
    }

    /// <summary>Removes dimension <paramref name="dim"/>, which must have size 1.</summary>
    public static Tensor Squeeze(Tensor x, int dim)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        if (x.Shape[d] != 1) throw new ArgumentException($"Squeeze needs dimension {d} of size 1; shape is {ShapeOf.Format(x.Shape)}.");
        var shape = x.Shape.Where((_, i) => i != d).ToArray();
        return View(x, shape, (strides, offset) => (strides.Where((_, i) => i != d).ToArray(), offset), "squeeze", showsEachElementOnce: true);
    }

    /// <summary>Merges dimensions startDim..endDim into one (torch.flatten); (B, C, H, W) to (B, C*H*W) by default.</summary>
    public static Tensor Flatten(Tensor x, int startDim = 1, int endDim = -1)
    {
        int s = ShapeOf.Dim(startDim, x.Rank), e = ShapeOf.Dim(endDim, x.Rank);
        if (e < s) throw new ArgumentException($"Flatten's end dimension {endDim} comes before its start {startDim}.");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(x.Shape[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= x.Shape[i];
        shape.Add(merged);
        for (int i = e + 1; i < x.Rank; i++) shape.Add(x.Shape[i]);
        return Reshape(x, [.. shape]);
    }

    /// <summary>Splits dimension <paramref name="dim"/> into <paramref name="sizes"/> (torch.unflatten).</summary>
    public static Tensor Unflatten(Tensor x, int dim, params int[] sizes)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        if (ShapeOf.Count(sizes) != x.Shape[d]) throw new ArgumentException($"Unflatten cannot split dimension {d} of size {x.Shape[d]} into {ShapeOf.Format(sizes)}.");
        var shape = x.Shape.Take(d).Concat(sizes).Concat(x.Shape.Skip(d + 1)).ToArray();
        return Reshape(x, shape);
    }

    /// <summary>
    /// Makes the view <paramref name="place"/> describes, which maps (strides, offset) of a layout
    /// of x to the view's: applied to x's storage for the values, and to the dense layout of x's
    /// shape for the backward pass.
    /// </summary>
    private static Tensor View(Tensor x, int[] shape, Func<int[], int, (int[] Strides, int Offset)> place, string name, bool showsEachElementOnce = false)
    {
        var (strides, offset) = place(x.Strides, x.Offset);
        x.Storage.AddReference();
        var y = new Tensor(x.Storage, offset, shape, strides);
        if (Autograd.Needs(x))
        {
            var (gradStrides, gradOffset) = place(ShapeOf.DenseStrides(x.Shape), 0);
            Autograd.Record(y, name, [x], dy =>
            {
                // A view whose layout of x's gradient is dense from its start (a reshape, a squeeze) hands
                // dy's memory over as that gradient when it is the first: dy is freed after this anyway.
                if (showsEachElementOnce && gradOffset == 0 && ShapeOf.IsDense(shape, gradStrides) && x.TryAdoptGradient(dy)) return;
                // A view that shows every element of x exactly once (a reshape, a permutation) may write
                // the first contribution to x's gradient instead of adding it onto zeros; one that shows
                // a part (narrow) or repeats (expand) adds, so what it does not cover stays zero.
                var target = showsEachElementOnce && Tensor.GradWriteTarget(x) is { } write ? write : new GradientTarget(x.GradForAccumulation().Buffer, Overwrite: false);
                x.Backend.Copy(dy.Buffer, dy.Strides, target.Buffer.At(gradOffset), gradStrides, shape, accumulate: !target.Overwrite);
            });
        }
        return y;
    }

    /// <summary>destination += source, elementwise over dense tensors of the same count.</summary>
    private static void AddInto(Tensor source, Tensor destination)
        => source.Backend.Copy(source.Buffer, [1], destination.Buffer, [1], [source.Count], accumulate: true);

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
