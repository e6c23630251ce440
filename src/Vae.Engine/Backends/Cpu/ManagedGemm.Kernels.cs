using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

// Micro-kernels: each computes one 8-row tile of C over a whole k range, keeping every
// accumulator in a register, and writes dst = alpha * acc (+ beta * dst unless beta is 0, so
// that NaN in an overwritten C never leaks in). Element (r, p) of the A panel is read at
// a[r * rs + p * ks], which covers op(A) in place (either transpose) as well as a packed
// panel (rs = 1, ks = 8). Row p of the B panel starts at bp + p * bs. The k loop runs in
// order inside one call, so each C element's summation order depends only on the shape.
internal static unsafe partial class ManagedGemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int k, float* ap, nint rs, nint ks, float* bp, nint bs, int width, float* dst, int ldd, float alpha, float beta)
    {
        if (Avx512F.IsSupported)
        {
            switch (width)
            {
                case 48: Kernel8x48(k, ap, rs, ks, bp, bs, dst, ldd, alpha, beta); break;
                case 32: Kernel8x32(k, ap, rs, ks, bp, bs, dst, ldd, alpha, beta); break;
                default: Kernel8x16(k, ap, rs, ks, bp, bs, dst, ldd, alpha, beta); break;
            }
        }
        else if (Avx2.IsSupported && Fma.IsSupported)
        {
            // Sixteen ymm registers hold a 4 x 16 tile: two passes over the panel's row halves.
            for (int col = 0; col < width; col += 16)
            {
                Kernel4x16Avx2(k, ap, rs, ks, bp + col, bs, dst + col, ldd, alpha, beta);
                Kernel4x16Avx2(k, ap + 4 * rs, rs, ks, bp + col, bs, dst + 4 * ldd + col, ldd, alpha, beta);
            }
        }
        else
        {
            for (int col = 0; col < width; col += 8)
            {
                Kernel4x8Portable(k, ap, rs, ks, bp + col, bs, dst + col, ldd, alpha, beta);
                Kernel4x8Portable(k, ap + 4 * rs, rs, ks, bp + col, bs, dst + 4 * ldd + col, ldd, alpha, beta);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* dst, Vector512<float> acc, Vector512<float> alpha, Vector512<float> beta, bool accumulate)
    {
        Vector512<float> r = acc * alpha;
        if (accumulate) r = Avx512F.FusedMultiplyAdd(Vector512.Load(dst), beta, r);
        r.Store(dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* dst, Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, bool accumulate)
    {
        Vector256<float> r = acc * alpha;
        if (accumulate) r = Fma.MultiplyAdd(Vector256.Load(dst), beta, r);
        r.Store(dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x48(int k, float* ap, nint rs, nint ks, float* bp, nint bs, float* dst, int ldd, float alpha, float beta)
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs;
        float* a4 = ap + 4 * rs;
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + 16), b2 = Vector512.Load(bp + 32);
            Vector512<float> a = Vector512.Create(ap[0]);
            c00 = Avx512F.FusedMultiplyAdd(a, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a, b1, c01); c02 = Avx512F.FusedMultiplyAdd(a, b2, c02);
            a = Vector512.Create(ap[rs]);
            c10 = Avx512F.FusedMultiplyAdd(a, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a, b1, c11); c12 = Avx512F.FusedMultiplyAdd(a, b2, c12);
            a = Vector512.Create(ap[rs2]);
            c20 = Avx512F.FusedMultiplyAdd(a, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a, b1, c21); c22 = Avx512F.FusedMultiplyAdd(a, b2, c22);
            a = Vector512.Create(ap[rs3]);
            c30 = Avx512F.FusedMultiplyAdd(a, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a, b1, c31); c32 = Avx512F.FusedMultiplyAdd(a, b2, c32);
            a = Vector512.Create(a4[0]);
            c40 = Avx512F.FusedMultiplyAdd(a, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a, b1, c41); c42 = Avx512F.FusedMultiplyAdd(a, b2, c42);
            a = Vector512.Create(a4[rs]);
            c50 = Avx512F.FusedMultiplyAdd(a, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a, b1, c51); c52 = Avx512F.FusedMultiplyAdd(a, b2, c52);
            a = Vector512.Create(a4[rs2]);
            c60 = Avx512F.FusedMultiplyAdd(a, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a, b1, c61); c62 = Avx512F.FusedMultiplyAdd(a, b2, c62);
            a = Vector512.Create(a4[rs3]);
            c70 = Avx512F.FusedMultiplyAdd(a, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a, b1, c71); c72 = Avx512F.FusedMultiplyAdd(a, b2, c72);
            ap += ks; a4 += ks;
            bp += bs;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        bool acc = beta != 0f;
        Put(dst, c00, va, vb, acc); Put(dst + 16, c01, va, vb, acc); Put(dst + 32, c02, va, vb, acc); dst += ldd;
        Put(dst, c10, va, vb, acc); Put(dst + 16, c11, va, vb, acc); Put(dst + 32, c12, va, vb, acc); dst += ldd;
        Put(dst, c20, va, vb, acc); Put(dst + 16, c21, va, vb, acc); Put(dst + 32, c22, va, vb, acc); dst += ldd;
        Put(dst, c30, va, vb, acc); Put(dst + 16, c31, va, vb, acc); Put(dst + 32, c32, va, vb, acc); dst += ldd;
        Put(dst, c40, va, vb, acc); Put(dst + 16, c41, va, vb, acc); Put(dst + 32, c42, va, vb, acc); dst += ldd;
        Put(dst, c50, va, vb, acc); Put(dst + 16, c51, va, vb, acc); Put(dst + 32, c52, va, vb, acc); dst += ldd;
        Put(dst, c60, va, vb, acc); Put(dst + 16, c61, va, vb, acc); Put(dst + 32, c62, va, vb, acc); dst += ldd;
        Put(dst, c70, va, vb, acc); Put(dst + 16, c71, va, vb, acc); Put(dst + 32, c72, va, vb, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int k, float* ap, nint rs, nint ks, float* bp, nint bs, float* dst, int ldd, float alpha, float beta)
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs;
        float* a4 = ap + 4 * rs;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + 16);
            Vector512<float> a = Vector512.Create(ap[0]);
            c00 = Avx512F.FusedMultiplyAdd(a, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[rs]);
            c10 = Avx512F.FusedMultiplyAdd(a, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[rs2]);
            c20 = Avx512F.FusedMultiplyAdd(a, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[rs3]);
            c30 = Avx512F.FusedMultiplyAdd(a, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(a4[0]);
            c40 = Avx512F.FusedMultiplyAdd(a, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(a4[rs]);
            c50 = Avx512F.FusedMultiplyAdd(a, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(a4[rs2]);
            c60 = Avx512F.FusedMultiplyAdd(a, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(a4[rs3]);
            c70 = Avx512F.FusedMultiplyAdd(a, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a, b1, c71);
            ap += ks; a4 += ks;
            bp += bs;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        bool acc = beta != 0f;
        Put(dst, c00, va, vb, acc); Put(dst + 16, c01, va, vb, acc); dst += ldd;
        Put(dst, c10, va, vb, acc); Put(dst + 16, c11, va, vb, acc); dst += ldd;
        Put(dst, c20, va, vb, acc); Put(dst + 16, c21, va, vb, acc); dst += ldd;
        Put(dst, c30, va, vb, acc); Put(dst + 16, c31, va, vb, acc); dst += ldd;
        Put(dst, c40, va, vb, acc); Put(dst + 16, c41, va, vb, acc); dst += ldd;
        Put(dst, c50, va, vb, acc); Put(dst + 16, c51, va, vb, acc); dst += ldd;
        Put(dst, c60, va, vb, acc); Put(dst + 16, c61, va, vb, acc); dst += ldd;
        Put(dst, c70, va, vb, acc); Put(dst + 16, c71, va, vb, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x16(int k, float* ap, nint rs, nint ks, float* bp, nint bs, float* dst, int ldd, float alpha, float beta)
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs;
        float* a4 = ap + 4 * rs;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> b0 = Vector512.Load(bp);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(ap[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(ap[rs]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(ap[rs2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(ap[rs3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[0]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[rs]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[rs2]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[rs3]), b0, c7);
            ap += ks; a4 += ks;
            bp += bs;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        bool acc = beta != 0f;
        Put(dst, c0, va, vb, acc); dst += ldd;
        Put(dst, c1, va, vb, acc); dst += ldd;
        Put(dst, c2, va, vb, acc); dst += ldd;
        Put(dst, c3, va, vb, acc); dst += ldd;
        Put(dst, c4, va, vb, acc); dst += ldd;
        Put(dst, c5, va, vb, acc); dst += ldd;
        Put(dst, c6, va, vb, acc); dst += ldd;
        Put(dst, c7, va, vb, acc);
    }

    // Four rows of an 8-row A panel (stride 8) against 16 columns of a B panel of the given stride.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x16Avx2(int k, float* ap, nint rs, nint ks, float* bp, nint bStride, float* dst, int ldd, float alpha, float beta)
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < k; p++)
        {
            Vector256<float> b0 = Vector256.Load(bp), b1 = Vector256.Load(bp + 8);
            Vector256<float> a = Vector256.Create(ap[0]);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Vector256.Create(ap[rs]);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Vector256.Create(ap[rs2]);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Vector256.Create(ap[rs3]);
            c30 = Fma.MultiplyAdd(a, b0, c30); c31 = Fma.MultiplyAdd(a, b1, c31);
            ap += ks;
            bp += bStride;
        }
        Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        bool acc = beta != 0f;
        Put(dst, c00, va, vb, acc); Put(dst + 8, c01, va, vb, acc); dst += ldd;
        Put(dst, c10, va, vb, acc); Put(dst + 8, c11, va, vb, acc); dst += ldd;
        Put(dst, c20, va, vb, acc); Put(dst + 8, c21, va, vb, acc); dst += ldd;
        Put(dst, c30, va, vb, acc); Put(dst + 8, c31, va, vb, acc);
    }

    // For hardware without AVX2 + FMA (older x86, Arm): whatever multiply-add the platform does
    // fastest. Results are still deterministic on a given machine.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x8Portable(int k, float* ap, nint rs, nint ks, float* bp, nint bStride, float* dst, int ldd, float alpha, float beta)
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs;
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < k; p++)
        {
            Vector128<float> b0 = Vector128.Load(bp), b1 = Vector128.Load(bp + 4);
            Vector128<float> a = Vector128.Create(ap[0]);
            c00 = Vector128.MultiplyAddEstimate(a, b0, c00); c01 = Vector128.MultiplyAddEstimate(a, b1, c01);
            a = Vector128.Create(ap[rs]);
            c10 = Vector128.MultiplyAddEstimate(a, b0, c10); c11 = Vector128.MultiplyAddEstimate(a, b1, c11);
            a = Vector128.Create(ap[rs2]);
            c20 = Vector128.MultiplyAddEstimate(a, b0, c20); c21 = Vector128.MultiplyAddEstimate(a, b1, c21);
            a = Vector128.Create(ap[rs3]);
            c30 = Vector128.MultiplyAddEstimate(a, b0, c30); c31 = Vector128.MultiplyAddEstimate(a, b1, c31);
            ap += ks;
            bp += bStride;
        }
        Vector128<float> va = Vector128.Create(alpha), vb = Vector128.Create(beta);
        bool acc = beta != 0f;
        PutPortable(dst, c00, va, vb, acc); PutPortable(dst + 4, c01, va, vb, acc); dst += ldd;
        PutPortable(dst, c10, va, vb, acc); PutPortable(dst + 4, c11, va, vb, acc); dst += ldd;
        PutPortable(dst, c20, va, vb, acc); PutPortable(dst + 4, c21, va, vb, acc); dst += ldd;
        PutPortable(dst, c30, va, vb, acc); PutPortable(dst + 4, c31, va, vb, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutPortable(float* dst, Vector128<float> acc, Vector128<float> alpha, Vector128<float> beta, bool accumulate)
    {
        Vector128<float> r = acc * alpha;
        if (accumulate) r = Vector128.MultiplyAddEstimate(Vector128.Load(dst), beta, r);
        r.Store(dst);
    }
}
