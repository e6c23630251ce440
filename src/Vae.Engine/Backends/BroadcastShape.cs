namespace Vae.Engine.Backends;

/// <summary>
/// The result shape of a broadcasting binary op and, for each operand, its strides in that shape
/// (0 along broadcast dimensions), following NumPy's rules: align on the right, size 1 stretches.
/// </summary>
public sealed class BroadcastShape
{
    public int[] Shape { get; }
    public int[] StridesA { get; }
    public int[] StridesB { get; }
    public int Count { get; }
    /// <summary>Both operands have the result's shape: the kernels take the flat fast path.</summary>
    public bool SameShape { get; }

    private BroadcastShape(int[] shape, int[] stridesA, int[] stridesB, bool same)
    {
        Shape = shape; StridesA = stridesA; StridesB = stridesB; SameShape = same;
        int count = 1;
        foreach (int d in shape) count *= d;
        Count = count;
    }

    public static BroadcastShape Of(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = Dim(a, i - rank + a.Length), db = Dim(b, i - rank + b.Length);
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"Shapes ({string.Join(", ", a)}) and ({string.Join(", ", b)}) cannot be broadcast together: dimension {i} is {da} against {db}.");
            shape[i] = Math.Max(da, db);
        }
        bool same = a.AsSpan().SequenceEqual(shape) && b.AsSpan().SequenceEqual(shape);
        return new BroadcastShape(shape, Strides(a, shape), Strides(b, shape), same);
    }

    private static int Dim(int[] s, int i) => i < 0 ? 1 : s[i];

    private static int[] Strides(int[] operand, int[] shape)
    {
        int rank = shape.Length, offset = rank - operand.Length;
        var strides = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int d = i - offset < 0 ? 1 : operand[i - offset];
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return strides;
    }
}
