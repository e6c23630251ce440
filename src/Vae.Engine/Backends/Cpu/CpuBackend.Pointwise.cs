using System.Numerics;
using System.Numerics.Tensors;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Unary(UnaryKind kind, float alpha, BufferRef x, BufferRef y, int count)
    {
        ReadOnlySpan<float> src = Span(x, count);
        Span<float> dst = Span(y, count);
        switch (kind)
        {
            case UnaryKind.Neg: TensorPrimitives.Negate(src, dst); break;
            case UnaryKind.Scale: TensorPrimitives.Multiply(src, alpha, dst); break;
            case UnaryKind.AddScalar: TensorPrimitives.Add(src, alpha, dst); break;
            case UnaryKind.Relu: TensorPrimitives.Max(src, 0f, dst); break;
            case UnaryKind.LeakyRelu: Pointwise.Map<LeakyReluRule>(src, dst, alpha); break;
            case UnaryKind.Sigmoid: Pointwise.Map<SigmoidRule>(src, dst, 0f); break;
            case UnaryKind.Tanh: TensorPrimitives.Tanh(src, dst); break;
            case UnaryKind.Exp: TensorPrimitives.Exp(src, dst); break;
            case UnaryKind.Log: TensorPrimitives.Log(src, dst); break;
            case UnaryKind.Softplus: Pointwise.Map<SoftplusRule>(src, dst, alpha); break;
            case UnaryKind.Square: TensorPrimitives.Multiply(src, src, dst); break;
            case UnaryKind.Sqrt: TensorPrimitives.Sqrt(src, dst); break;
            case UnaryKind.Abs: TensorPrimitives.Abs(src, dst); break;
            case UnaryKind.ClampMin: TensorPrimitives.Max(src, alpha, dst); break;
            case UnaryKind.Step: Pointwise.Map<StepRule>(src, dst, alpha); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    public void UnaryBackward(UnaryKind kind, float alpha, BufferRef x, BufferRef y, BufferRef dy, BufferRef dx, int count)
    {
        ReadOnlySpan<float> xs = Span(x, count), ys = Span(y, count), g = Span(dy, count);
        Span<float> d = Span(dx, count);
        switch (kind)
        {
            case UnaryKind.Neg: TensorPrimitives.Subtract(d, g, d); break;
            case UnaryKind.Scale: TensorPrimitives.MultiplyAdd(g, alpha, d, d); break;
            case UnaryKind.AddScalar: TensorPrimitives.Add(d, g, d); break;
            case UnaryKind.Relu: Pointwise.Accumulate<ReluGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.LeakyRelu: Pointwise.Accumulate<LeakyReluGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Sigmoid: Pointwise.Accumulate<SigmoidGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Tanh: Pointwise.Accumulate<TanhGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Exp: TensorPrimitives.MultiplyAdd(g, ys, d, d); break;
            case UnaryKind.Log: Pointwise.Accumulate<LogGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Softplus: Pointwise.Accumulate<SoftplusGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Square: Pointwise.Accumulate<SquareGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Sqrt: Pointwise.Accumulate<SqrtGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Abs: Pointwise.Accumulate<AbsGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.ClampMin: Pointwise.Accumulate<ClampMinGrad>(xs, ys, g, d, alpha); break;
            case UnaryKind.Step: break; // piecewise constant: no gradient
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    public void Binary(BinaryKind kind, BufferRef a, BufferRef b, BufferRef y, BroadcastShape shape)
    {
        int n = shape.Count;
        if (shape.SameShape)
        {
            BinarySpan(kind, Span(a, n), Span(b, n), Span(y, n));
            return;
        }
        var cursor = new BroadcastCursor(shape);
        int cols = cursor.Cols;
        for (int r = 0; r < cursor.Rows; r++)
        {
            cursor.Offsets(r, out int ao, out int bo);
            var dst = Span(y.At(r * cols), cols);
            int sa = cursor.InnerStrideA, sb = cursor.InnerStrideB;
            if (sa == 1 && sb == 1) BinarySpan(kind, Span(a.At(ao), cols), Span(b.At(bo), cols), dst);
            else if (sa == 1) BinaryScalarRight(kind, Span(a.At(ao), cols), Ptr(b.At(bo))[0], dst);
            else if (sb == 1) BinaryScalarLeft(kind, Ptr(a.At(ao))[0], Span(b.At(bo), cols), dst);
            else dst.Fill(BinaryRules.Apply(kind, Ptr(a.At(ao))[0], Ptr(b.At(bo))[0]));
        }
    }

    public void BinaryBackward(BinaryKind kind, BufferRef a, BufferRef b, BufferRef dy, BufferRef? da, BufferRef? db, BroadcastShape shape)
    {
        int n = shape.Count;
        if (shape.SameShape)
        {
            ReadOnlySpan<float> av = Span(a, n), bv = Span(b, n), g = Span(dy, n);
            if (kind == BinaryKind.Equal) return; // piecewise constant: no gradient
            if (da is { } dA) Pointwise.BinaryGradLeft(kind, av, bv, g, Span(dA, n));
            if (db is { } dB) Pointwise.BinaryGradRight(kind, av, bv, g, Span(dB, n));
            return;
        }
        if (kind == BinaryKind.Equal) return;
        // Broadcast operands: every output element adds into the operand element it came from,
        // which sums over the broadcast dimensions in a fixed order.
        var cursor = new BroadcastCursor(shape);
        int cols = cursor.Cols, sa = cursor.InnerStrideA, sb = cursor.InnerStrideB;
        float* pa = Ptr(a), pb = Ptr(b), pg = Ptr(dy);
        float* pda = da is { } x ? Ptr(x) : null, pdb = db is { } z ? Ptr(z) : null;
        for (int r = 0; r < cursor.Rows; r++)
        {
            cursor.Offsets(r, out int ao, out int bo);
            float* g = pg + (long)r * cols;
            for (int c = 0; c < cols; c++)
            {
                float av = pa[ao + c * sa], bv = pb[bo + c * sb], gv = g[c];
                if (pda != null) pda[ao + c * sa] += BinaryRules.GradLeft(kind, av, bv, gv);
                if (pdb != null) pdb[bo + c * sb] += BinaryRules.GradRight(kind, av, bv, gv);
            }
        }
    }

    private static void BinarySpan(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case BinaryKind.Div: TensorPrimitives.Divide(a, b, y); break;
            case BinaryKind.Equal: for (int i = 0; i < y.Length; i++) y[i] = a[i] == b[i] ? 1f : 0f; break;
        }
    }

    private static void BinaryScalarRight(BinaryKind kind, ReadOnlySpan<float> a, float b, Span<float> y)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case BinaryKind.Div: TensorPrimitives.Divide(a, b, y); break;
            case BinaryKind.Equal: for (int i = 0; i < y.Length; i++) y[i] = a[i] == b ? 1f : 0f; break;
        }
    }

    private static void BinaryScalarLeft(BinaryKind kind, float a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(b, a, y); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(b, a, y); break;
            case BinaryKind.Div: TensorPrimitives.Divide(a, b, y); break;
            case BinaryKind.Equal: for (int i = 0; i < y.Length; i++) y[i] = a == b[i] ? 1f : 0f; break;
        }
    }
}

/// <summary>
/// Walks a broadcast result row by row (a row = the last dimension) and gives each operand's
/// offset for that row, so kernels can run span operations over rows.
/// </summary>
internal readonly struct BroadcastCursor
{
    private readonly BroadcastShape _shape;

    public BroadcastCursor(BroadcastShape shape)
    {
        _shape = shape;
        int rank = shape.Shape.Length;
        Cols = rank == 0 ? 1 : shape.Shape[rank - 1];
        Rows = Cols == 0 ? 0 : shape.Count / Cols;
        InnerStrideA = rank == 0 ? 0 : shape.StridesA[rank - 1];
        InnerStrideB = rank == 0 ? 0 : shape.StridesB[rank - 1];
    }

    public int Rows { get; }
    public int Cols { get; }
    public int InnerStrideA { get; }
    public int InnerStrideB { get; }

    public void Offsets(int row, out int a, out int b)
    {
        a = 0; b = 0;
        var dims = _shape.Shape;
        for (int d = dims.Length - 2; d >= 0; d--)
        {
            int i = row % dims[d];
            row /= dims[d];
            a += i * _shape.StridesA[d];
            b += i * _shape.StridesB[d];
        }
    }
}
