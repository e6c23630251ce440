using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>Sum of all elements, a scalar tensor.</summary>
    public static Tensor Sum(Tensor x) => SumAlong(Dense(x), 1, x.Count, 1, [], "sum");

    /// <summary>Sum along one dimension, kept as size 1 when <paramref name="keepDim"/>.</summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        var (outer, size, inner) = ShapeOf.Around(x.Shape, d);
        return SumAlong(Dense(x), outer, size, inner, ReducedShape(x.Shape, [d], keepDim), "sum_dim");
    }

    /// <summary>Sum over several dimensions.</summary>
    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false)
    {
        var resolved = dims.Select(d => ShapeOf.Dim(d, x.Rank)).Distinct().OrderDescending().ToArray();
        var y = x;
        foreach (int d in resolved) y = Sum(y, d, keepDim: true);
        return keepDim ? y : Reshape(y, ReducedShape(x.Shape, resolved, keepDim: false));
    }

    public static Tensor Mean(Tensor x) => MulScalar(Sum(x), 1f / Math.Max(1, x.Count));

    public static Tensor Mean(Tensor x, int dim, bool keepDim = false)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        return MulScalar(Sum(x, d, keepDim), 1f / Math.Max(1, x.Shape[d]));
    }

    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false)
    {
        long n = dims.Select(d => ShapeOf.Dim(d, x.Rank)).Distinct().Aggregate(1L, (acc, d) => acc * x.Shape[d]);
        return MulScalar(Sum(x, dims, keepDim), 1f / Math.Max(1, n));
    }

    /// <summary>Largest value along a dimension; the gradient goes to the first largest element.</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false)
    {
        x = Dense(x);
        int d = ShapeOf.Dim(dim, x.Rank);
        var (outer, size, inner) = ShapeOf.Around(x.Shape, d);
        var shape = ReducedShape(x.Shape, [d], keepDim);
        var y = Tensor.Empty(shape, x.Backend);
        x.Backend.Reduce(ReduceKind.Max, x.Buffer, y.Buffer, outer, size, inner);
        if (Autograd.Needs(x))
        {
            // The gradient flows through a one-hot mask of the first arg-max, built from primitives.
            var index = Tensor.Empty(shape, x.Backend);
            x.Backend.Reduce(ReduceKind.ArgMax, x.Buffer, index.Buffer, outer, size, inner);
            Autograd.Record(y, "max", [x], dy =>
            {
                using var noGrad = Autograd.NoGrad();
                var positions = Arange(size, x.Backend).Reshape(1, size, 1);
                var mask = Equal(positions, index.Reshape(outer, 1, inner));
                var routed = Mul(mask, dy.Reshape(outer, 1, inner));
                AddInto(routed, x.GradForAccumulation());
            });
        }
        return y;
    }

    /// <summary>Index of the first largest value along a dimension, as floats; not differentiable.</summary>
    public static Tensor ArgMax(Tensor x, int dim, bool keepDim = false)
    {
        x = Dense(x);
        int d = ShapeOf.Dim(dim, x.Rank);
        var (outer, size, inner) = ShapeOf.Around(x.Shape, d);
        var y = Tensor.Empty(ReducedShape(x.Shape, [d], keepDim), x.Backend);
        x.Backend.Reduce(ReduceKind.ArgMax, x.Buffer, y.Buffer, outer, size, inner);
        return y;
    }

    /// <summary>0, 1, ..., n - 1 as floats.</summary>
    public static Tensor Arange(int n, IBackend backend)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = i;
        return Tensor.FromArray(values, [n], backend);
    }

    private static Tensor SumAlong(Tensor x, int outer, int size, int inner, int[] shape, string name)
    {
        var y = Tensor.Empty(shape, x.Backend);
        x.Backend.Reduce(ReduceKind.Sum, x.Buffer, y.Buffer, outer, size, inner);
        if (Autograd.Needs(x))
            Autograd.Record(y, name, [x], dy =>
                // dx[o, d, i] += dy[o, i]: a copy that repeats dy along d.
                x.Backend.Copy(dy.Buffer, [inner, 0, 1], x.GradForAccumulation().Buffer, [size * inner, inner, 1], [outer, size, inner], accumulate: true));
        return y;
    }

    private static int[] ReducedShape(int[] shape, int[] dims, bool keepDim)
    {
        var list = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (!dims.Contains(i)) list.Add(shape[i]);
            else if (keepDim) list.Add(1);
        }
        return [.. list];
    }
}
