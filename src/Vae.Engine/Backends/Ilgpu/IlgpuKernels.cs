using ILGPU;
using ILGPU.Algorithms;

namespace Vae.Engine.Backends.Ilgpu;

/// <summary>
/// The kernels of the ILGPU backend: one thread per output element, each computing its element
/// from scratch, so no thread writes where another does and every sum runs in a fixed order (the
/// results do not depend on how the device schedules threads). The same code runs on the CPU
/// accelerator in the tests and compiles to PTX for CUDA.
/// </summary>
internal static class IlgpuKernels
{
    /// <summary>Every kernel (a public static method whose first parameter is its thread index).</summary>
    public static IReadOnlyList<System.Reflection.MethodInfo> EntryPoints { get; } = [.. typeof(IlgpuKernels)
        .GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(m => m.GetParameters() is [{ ParameterType: var t }, ..] && t == typeof(Index1D))];

    public static void Fill(Index1D i, ArrayView<float> y, float value) => y[i] = value;

    public static void Unary(Index1D i, ArrayView<float> x, ArrayView<float> y, int kind, float alpha) => y[i] = Apply((UnaryKind)kind, x[i], alpha);

    private static float Apply(UnaryKind kind, float x, float alpha) => kind switch
    {
        UnaryKind.Neg => -x,
        UnaryKind.Scale => x * alpha,
        UnaryKind.AddScalar => x + alpha,
        UnaryKind.Relu => x > 0 ? x : 0f,
        UnaryKind.LeakyRelu => x > 0 ? x : x * alpha,
        UnaryKind.Sigmoid => 1f / (1f + XMath.Exp(-x)),
        UnaryKind.Tanh => XMath.Tanh(x),
        UnaryKind.Exp => XMath.Exp(x),
        UnaryKind.Log => XMath.Log(x),
        UnaryKind.Softplus => XMath.Max(x, 0f) + XMath.Log(1f + XMath.Exp(-XMath.Abs(x))),
        UnaryKind.Square => x * x,
        UnaryKind.Sqrt => XMath.Sqrt(x),
        UnaryKind.Abs => XMath.Abs(x),
        UnaryKind.ClampMin => XMath.Max(x, alpha),
        _ => x > alpha ? 1f : 0f, // Step
    };

    /// <summary>dx += dy * f'(x), the derivative from x or from y = f(x), whichever is cheaper.</summary>
    public static void UnaryBackward(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int kind, float alpha)
    {
        float xv = x[i], yv = y[i], g = dy[i];
        float d = (UnaryKind)kind switch
        {
            UnaryKind.Neg => -g,
            UnaryKind.Scale => g * alpha,
            UnaryKind.AddScalar => g,
            UnaryKind.Relu => xv > 0 ? g : 0f,
            UnaryKind.LeakyRelu => xv > 0 ? g : g * alpha,
            UnaryKind.Sigmoid => g * yv * (1 - yv),
            UnaryKind.Tanh => g * (1 - (yv * yv)),
            UnaryKind.Exp => g * yv,
            UnaryKind.Log => g / xv,
            UnaryKind.Softplus => g / (1 + XMath.Exp(-xv)),
            UnaryKind.Square => g * xv * 2f,
            UnaryKind.Sqrt => g * 0.5f / yv,
            UnaryKind.Abs => xv > 0 ? g : xv < 0 ? -g : 0f,
            UnaryKind.ClampMin => xv >= alpha ? g : 0f,
            _ => 0f, // Step: piecewise constant
        };
        dx[i] += d;
    }

    public static void BinarySame(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int kind) => y[i] = BinaryRules.Apply((BinaryKind)kind, a[i], b[i]);

    public static void BinaryBroadcast(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, BroadcastPlan p)
    {
        Offsets(i, p, out int ao, out int bo);
        y[i] = BinaryRules.Apply((BinaryKind)p.Kind, a[ao], b[bo]);
    }

    /// <summary>Where output element <paramref name="i"/> of a broadcast reads each operand.</summary>
    private static void Offsets(int i, in BroadcastPlan p, out int ao, out int bo)
    {
        int rest = i;
        ao = 0;
        bo = 0;
        for (int d = p.Rank - 1; d >= 0; d--)
        {
            int size = p.Shape[d], c = rest % size;
            rest /= size;
            ao += c * p.StridesA[d];
            bo += c * p.StridesB[d];
        }
    }

    /// <summary>Same-shape operands: da += dL/da and db += dL/db in place (a flag says which are wanted).</summary>
    public static void BinaryBackwardSame(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> dy, ArrayView<float> da, ArrayView<float> db, int kind, int which)
    {
        float av = a[i], bv = b[i], g = dy[i];
        if ((which & 1) != 0) da[i] += BinaryRules.GradLeft((BinaryKind)kind, av, bv, g);
        if ((which & 2) != 0) db[i] += BinaryRules.GradRight((BinaryKind)kind, av, bv, g);
    }

    /// <summary>Broadcast operands: one side's gradient per output element (assigned), summed into the operand afterwards by a folding copy.</summary>
    public static void BinaryGradient(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> dy, ArrayView<float> gradient, BroadcastPlan p, int right)
    {
        Offsets(i, p, out int ao, out int bo);
        var kind = (BinaryKind)p.Kind;
        gradient[i] = right != 0 ? BinaryRules.GradRight(kind, a[ao], b[bo], dy[i]) : BinaryRules.GradLeft(kind, a[ao], b[bo], dy[i]);
    }

    public static void Copy(Index1D t, ArrayView<float> source, ArrayView<float> destination, CopyPlan p)
    {
        int rest = t, so = 0, doff = 0;
        for (int d = p.KeptRank - 1; d >= 0; d--)
        {
            int size = p.KeptShape[d], c = rest % size;
            rest /= size;
            so += c * p.KeptSource[d];
            doff += c * p.KeptDestination[d];
        }
        float value = 0f;
        for (int f = 0; f < p.FoldedCount; f++)
        {
            int r = f, fo = 0;
            for (int d = p.FoldedRank - 1; d >= 0; d--)
            {
                int size = p.FoldedShape[d], c = r % size;
                r /= size;
                fo += c * p.FoldedSource[d];
            }
            float v = source[so + fo];
            value = p.Accumulate != 0 ? value + v : v;
        }
        destination[doff] = p.Accumulate != 0 ? destination[doff] + value : value;
    }

    /// <summary>y[o, i] = the reduction over d of x[o, d, i]; a sum accumulates in double.</summary>
    public static void Reduce(Index1D t, ArrayView<float> x, ArrayView<float> y, int kind, int size, int inner)
    {
        int o = t / inner, i = t - (o * inner);
        long first = ((long)o * size * inner) + i;
        if (kind == (int)ReduceKind.Sum)
        {
            double sum = 0;
            for (int d = 0; d < size; d++) sum += x[first + ((long)d * inner)];
            y[t] = (float)sum;
            return;
        }
        float best = x[first];
        int at = 0;
        for (int d = 1; d < size; d++)
        {
            float v = x[first + ((long)d * inner)];
            if (v > best) { best = v; at = d; }
        }
        y[t] = kind == (int)ReduceKind.Max ? best : at;
    }

    /// <summary>One element of C = alpha op(A) op(B) + beta C per thread, over the batch.</summary>
    public static void Gemm(Index1D t, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs g)
    {
        int mn = g.M * g.N;
        int p = t / mn, rest = t - (p * mn), row = rest / g.N, col = rest - (row * g.N);
        long ab = p * g.StrideA, bb = p * g.StrideB;
        float sum = 0f;
        for (int k = 0; k < g.K; k++)
        {
            float av = g.TransA != 0 ? a[ab + ((long)k * g.Lda) + row] : a[ab + ((long)row * g.Lda) + k];
            float bv = g.TransB != 0 ? b[bb + ((long)col * g.Ldb) + k] : b[bb + ((long)k * g.Ldb) + col];
            sum += av * bv;
        }
        long at = (p * g.StrideC) + ((long)row * g.Ldc) + col;
        c[at] = g.Beta == 0f ? g.Alpha * sum : (g.Alpha * sum) + (g.Beta * c[at]);
    }

    /// <summary>One entry of the position-major column matrix per thread (see <see cref="IBackend.Im2Col"/>).</summary>
    public static void Im2Col(Index1D t, ArrayView<float> images, ArrayView<float> columns, ConvArgs g)
    {
        int positions = g.OutH * g.OutW;
        int rowIndex = t / g.Patch, col = t - (rowIndex * g.Patch);
        int n = rowIndex / positions, pos = rowIndex - (n * positions);
        int oy = pos / g.OutW, ox = pos - (oy * g.OutW);
        int window = g.KernelH * g.KernelW;
        int ch = col / window, k = col - (ch * window), ky = k / g.KernelW, kx = k - (ky * g.KernelW);
        int iy = (oy * g.StrideH) - g.PadH + (ky * g.DilationH), ix = (ox * g.StrideW) - g.PadW + (kx * g.DilationW);
        columns[t] = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width
            ? images[((long)n * g.Channels * g.Height * g.Width) + ((long)ch * g.Height * g.Width) + ((long)iy * g.Width) + ix]
            : g.Pad;
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: each image pixel gathers (and adds) every matrix entry that came from it.</summary>
    public static void Col2Im(Index1D t, ArrayView<float> columns, ArrayView<float> images, ConvArgs g)
    {
        int plane = g.Height * g.Width, image = g.Channels * plane;
        int n = t / image, rest = t - (n * image), ch = rest / plane;
        rest -= ch * plane;
        int iy = rest / g.Width, ix = rest - (iy * g.Width);
        int positions = g.OutH * g.OutW, window = g.KernelH * g.KernelW;
        float sum = 0f;
        for (int ky = 0; ky < g.KernelH; ky++)
        {
            int sy = iy + g.PadH - (ky * g.DilationH);
            if (sy < 0 || sy % g.StrideH != 0) continue;
            int oy = sy / g.StrideH;
            if (oy >= g.OutH) continue;
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int sx = ix + g.PadW - (kx * g.DilationW);
                if (sx < 0 || sx % g.StrideW != 0) continue;
                int ox = sx / g.StrideW;
                if (ox >= g.OutW) continue;
                long row = ((long)n * positions) + (oy * g.OutW) + ox;
                sum += columns[(row * g.Patch) + (ch * window) + (ky * g.KernelW) + kx];
            }
        }
        images[t] += sum;
    }

    /// <summary>Block j of the Philox stream per thread: values 4j to 4j + 3, exactly as <see cref="Philox.Fill"/>.</summary>
    public static void Random(Index1D j, ArrayView<float> y, int count, int normal, ulong key, ulong counter)
    {
        ulong block = counter + (ulong)j;
        uint c0 = (uint)block, c1 = (uint)(block >> 32), c2 = 0, c3 = 0;
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += 0x9E3779B9; k1 += 0xBB67AE85; }
            ulong p0 = (ulong)0xD2511F53 * c0, p1 = (ulong)0xCD9E8D57 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        float v0, v1, v2, v3;
        if (normal != 0)
        {
            BoxMuller(c0, c1, out v0, out v1);
            BoxMuller(c2, c3, out v2, out v3);
        }
        else
        {
            const float Scale = 1.0f / (1 << 24);
            v0 = (c0 >> 8) * Scale; v1 = (c1 >> 8) * Scale; v2 = (c2 >> 8) * Scale; v3 = (c3 >> 8) * Scale;
        }
        int at = j * 4;
        if (at < count) y[at] = v0;
        if (at + 1 < count) y[at + 1] = v1;
        if (at + 2 < count) y[at + 2] = v2;
        if (at + 3 < count) y[at + 3] = v3;
    }

    private static void BoxMuller(uint a, uint b, out float first, out float second)
    {
        double u1 = (a + 1.0) * (1.0 / 4294967296.0);
        double u2 = b * (1.0 / 4294967296.0);
        double r = XMath.Sqrt(-2.0 * XMath.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        first = (float)(r * XMath.Cos(angle));
        second = (float)(r * XMath.Sin(angle));
    }
}
