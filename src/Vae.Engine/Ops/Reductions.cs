using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>Sum of all elements, a scalar tensor.</summary>
    public static Tensor Sum(Tensor x) => SumAlong(x, 1, x.Count, 1, [], "sum");

    /// <summary>Sum along one dimension, kept as size 1 when <paramref name="keepDim"/>.</summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        var (outer, size, inner) = ShapeOf.Around(x.Shape, d);
        return SumAlong(x, outer, size, inner, ReducedShape(x.Shape, d, keepDim), "sum_dim");
    }

    public static Tensor Mean(Tensor x) => MulScalar(Sum(x), 1f / Math.Max(1, x.Count));

    public static Tensor Mean(Tensor x, int dim, bool keepDim = false)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        return MulScalar(Sum(x, d, keepDim), 1f / Math.Max(1, x.Shape[d]));
    }

    private static Tensor SumAlong(Tensor x, int outer, int size, int inner, int[] shape, string name)
    {
        var y = Tensor.Empty(shape, x.Backend);
        x.Backend.Sum(x.Buffer, y.Buffer, outer, size, inner);
        if (Autograd.Needs(x))
            Autograd.Record(y, name, [x], dy => x.Backend.SumBackward(dy.Buffer, x.GradForAccumulation().Buffer, outer, size, inner));
        return y;
    }

    private static int[] ReducedShape(int[] shape, int dim, bool keepDim)
    {
        var list = new List<int>(shape);
        if (keepDim) list[dim] = 1; else list.RemoveAt(dim);
        return [.. list];
    }
}
