namespace Vae.Engine.Tensors;

/// <summary>Shape arithmetic shared by tensors and ops.</summary>
public static class ShapeOf
{
    public static int Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"Shape {Format(shape)} has more than {int.MaxValue} elements.");
        return (int)n;
    }

    public static void Validate(ReadOnlySpan<int> shape)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.");
        Count(shape);
    }

    /// <summary>Row-major strides of a dense tensor of this shape.</summary>
    public static int[] DenseStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(1, shape[i]);
        }
        return strides;
    }

    /// <summary>Whether these strides lay the elements out dense and row-major (size-1 dimensions may have any stride).</summary>
    public static bool IsDense(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        long expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 0) return true;
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    public static string Format(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    /// <summary>Resolves a negative dimension index (-1 is the last) and checks it.</summary>
    public static int Dim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for a tensor of rank {rank}.");
        return d;
    }

    /// <summary>(outer, size, inner) of a tensor seen along one dimension.</summary>
    public static (int Outer, int Size, int Inner) Around(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }
}
