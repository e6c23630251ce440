using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>Matrix product of a: (m, k) and b: (k, n) giving (m, n).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        SameBackend(a, b);
        if (a.Rank != 2 || b.Rank != 2 || a.Shape[1] != b.Shape[0])
            throw new ArgumentException($"MatMul needs (m, k) x (k, n) matrices, got {ShapeOf.Format(a.Shape)} x {ShapeOf.Format(b.Shape)}.");
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var y = Tensor.Empty([m, n], a.Backend);
        a.Backend.Gemm(false, false, m, n, k, 1f, a.Buffer, k, b.Buffer, n, 0f, y.Buffer, n);
        if (Autograd.Needs(a, b))
            Autograd.Record(y, "matmul", [a, b], dy =>
            {
                // dA = dY B^T, dB = A^T dY
                if (a.RequiresGrad) a.Backend.Gemm(false, true, m, k, n, 1f, dy.Buffer, n, b.Buffer, n, 1f, a.GradForAccumulation().Buffer, k);
                if (b.RequiresGrad) a.Backend.Gemm(true, false, k, n, m, 1f, a.Buffer, k, dy.Buffer, n, 1f, b.GradForAccumulation().Buffer, n);
            });
        return y;
    }
}
