using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>
    /// Matrix product, as torch.matmul for these shapes: (m, k) x (k, n) gives (m, n);
    /// (B, m, k) x (B, k, n) gives (B, m, n); (B, m, k) x (k, n) shares the right matrix.
    /// A 2-D operand may be a transposed view: it is read in place.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        SameBackend(a, b);
        if (a.Rank == 2 && b.Rank == 2) return MatMul2d(a, b);
        if (a.Rank == 3 && b.Rank == 2)
        {
            var flat = MatMul2d(Reshape(a, a.Shape[0] * a.Shape[1], a.Shape[2]), b);
            return Reshape(flat, a.Shape[0], a.Shape[1], b.Shape[1]);
        }
        if (a.Rank == 3 && b.Rank == 3) return BatchedMatMul(a, b);
        throw new ArgumentException($"MatMul takes 2-D or 3-D operands ((m, k) x (k, n), (B, m, k) x (B, k, n) or (B, m, k) x (k, n)), got {ShapeOf.Format(a.Shape)} x {ShapeOf.Format(b.Shape)}.");
    }

    private static Tensor MatMul2d(Tensor a, Tensor b)
    {
        if (a.Shape[1] != b.Shape[0])
            throw new ArgumentException($"MatMul needs (m, k) x (k, n) matrices, got {ShapeOf.Format(a.Shape)} x {ShapeOf.Format(b.Shape)}.");
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var (pa, transA, lda) = GemmOperand(a);
        var (pb, transB, ldb) = GemmOperand(b);
        var backend = a.Backend;
        var y = Tensor.Empty([m, n], backend);
        backend.Gemm(transA, transB, m, n, k, 1f, pa.Origin, lda, pb.Origin, ldb, 0f, y.Buffer, n);
        if (Autograd.Needs(a, b))
            Autograd.Record(y, "matmul", [a, b], dy =>
            {
                // dA = dY op(B)^T, dB = op(A)^T dY
                if (a.RequiresGrad) backend.Gemm(false, !transB, m, k, n, 1f, dy.Buffer, n, pb.Origin, ldb, 1f, a.GradForAccumulation().Buffer, k);
                if (b.RequiresGrad) backend.Gemm(!transA, false, k, n, m, 1f, pa.Origin, lda, dy.Buffer, n, 1f, b.GradForAccumulation().Buffer, n);
            });
        return y;
    }

    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        if (a.Shape[0] != b.Shape[0] || a.Shape[2] != b.Shape[1])
            throw new ArgumentException($"Batched MatMul needs (B, m, k) x (B, k, n), got {ShapeOf.Format(a.Shape)} x {ShapeOf.Format(b.Shape)}.");
        a = Dense(a);
        b = Dense(b);
        int batch = a.Shape[0], m = a.Shape[1], k = a.Shape[2], n = b.Shape[2];
        var backend = a.Backend;
        var y = Tensor.Empty([batch, m, n], backend);
        backend.Gemm(false, false, m, n, k, 1f, a.Buffer, k, b.Buffer, n, 0f, y.Buffer, n, batch, m * k, k * n, m * n);
        if (Autograd.Needs(a, b))
            Autograd.Record(y, "bmm", [a, b], dy =>
            {
                if (a.RequiresGrad) backend.Gemm(false, true, m, k, n, 1f, dy.Buffer, n, b.Buffer, n, 1f, a.GradForAccumulation().Buffer, k, batch, m * n, k * n, m * k);
                if (b.RequiresGrad) backend.Gemm(true, false, k, n, m, 1f, a.Buffer, k, dy.Buffer, n, 1f, b.GradForAccumulation().Buffer, n, batch, m * k, m * n, k * n);
            });
        return y;
    }

    /// <summary>
    /// How a 2-D tensor reads as a GEMM operand without copying: rows contiguous (leading
    /// dimension = row stride), or columns contiguous (a transposed matrix); otherwise a dense copy.
    /// </summary>
    private static (Tensor Tensor, bool Transposed, int Ld) GemmOperand(Tensor t)
    {
        int rows = t.Shape[0], cols = t.Shape[1];
        if (t.IsContiguous) return (t, false, Math.Max(1, cols));
        if (t.Strides[1] == 1 && t.Strides[0] >= cols) return (t, false, t.Strides[0]);
        if (t.Strides[0] == 1 && t.Strides[1] >= rows) return (t, true, t.Strides[1]);
        var dense = Contiguous(t);
        return (dense, false, Math.Max(1, cols));
    }
}
