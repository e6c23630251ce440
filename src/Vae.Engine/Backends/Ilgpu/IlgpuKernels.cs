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

    // ---- fused element-wise kernels ----

    /// <summary>y = act(y + bias[column]) in place; bias is read only when <paramref name="hasBias"/> is set.</summary>
    public static void BiasActivation(Index1D i, ArrayView<float> y, ArrayView<float> bias, int cols, int hasBias, int activation, float slope)
    {
        float v = y[i] + (hasBias != 0 ? bias[i % cols] : 0f);
        y[i] = (Activation)activation switch
        {
            Activation.Relu => v > 0f ? v : 0f,
            Activation.LeakyRelu => v > 0f ? v : v * slope,
            Activation.Sigmoid => 1f / (1f + XMath.Exp(-v)),
            Activation.Tanh => XMath.Tanh(v),
            _ => v,
        };
    }

    /// <summary>dz = dy * act'(y), from the activation's output (the sign of a ReLU's input is the sign of its output).</summary>
    public static void ActivationBackward(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dz, int activation, float slope)
    {
        float yv = y[i], g = dy[i];
        dz[i] = (Activation)activation switch
        {
            Activation.Relu => yv > 0f ? g : 0f,
            Activation.LeakyRelu => yv > 0f ? g : g * slope,
            Activation.Sigmoid => g * yv * (1f - yv),
            Activation.Tanh => g * (1f - (yv * yv)),
            _ => g,
        };
    }

    /// <summary>y[c] (+)= the sum over rows of x[r, c], one column per thread, rows in order.</summary>
    public static void ColumnSum(Index1D c, ArrayView<float> x, ArrayView<float> y, int rows, int cols, int accumulate)
    {
        float sum = 0f;
        for (int r = 0; r < rows; r++) sum += x[((long)r * cols) + c];
        y[c] = accumulate != 0 ? y[c] + sum : sum;
    }

    /// <summary>
    /// The backward pass of a loss sum, scaled by upstream[0] (read on the device) * scale: which = 1
    /// adds into da, 2 into db. Kinds are <see cref="PairTerms"/>'; <see cref="LossBackwardScaledAdd"/> is
    /// y += s x, <see cref="LossBackwardScaled"/> y = s x (in place when x is y).
    /// </summary>
    public static void LossBackward(Index1D i, ArrayView<float> upstream, float scale, ArrayView<float> a, ArrayView<float> b, ArrayView<float> da, ArrayView<float> db, int kind, int which)
    {
        float s = upstream[0] * scale, av = a[i];
        if (kind == LossBackwardScaledAdd)
        {
            da[i] += s * av;
            return;
        }
        if (kind == LossBackwardScaled)
        {
            da[i] = s * av;
            return;
        }
        float bv = b[i];
        float ga, gb;
        switch (kind)
        {
            case PairTerms.BceLogits:
            case PairTerms.BceLogitsWithGradient:
                ga = s * ((1f / (1f + XMath.Exp(-av))) - bv);
                gb = -s * av;
                break;
            case PairTerms.Bce:
                ga = s * (av - bv) / XMath.Max(av * (1f - av), 1e-12f);
                gb = -s * (XMath.Max(XMath.Log(av), -100f) - XMath.Max(XMath.Log(1f - av), -100f));
                break;
            case PairTerms.Squared:
                ga = s * 2f * (av - bv);
                gb = -ga;
                break;
            default: // Kl: a = mu, b = log-variance
                ga = s * av;
                gb = s * 0.5f * (XMath.Exp(bv) - 1f);
                break;
        }
        if ((which & 1) != 0) da[i] += ga;
        if ((which & 2) != 0) db[i] += gb;
    }

    public const int LossBackwardScaledAdd = 100;
    public const int LossBackwardScaled = 101;

    /// <summary>z = mu + eps exp(logvar / 2).</summary>
    public static void Reparameterize(Index1D i, ArrayView<float> mu, ArrayView<float> logVar, ArrayView<float> eps, ArrayView<float> z)
        => z[i] = mu[i] + (eps[i] * XMath.Exp(0.5f * logVar[i]));

    /// <summary>dmu += dz (which &amp; 1); dlogvar += dz eps exp(logvar / 2) / 2 (which &amp; 2).</summary>
    public static void ReparameterizeBackward(Index1D i, ArrayView<float> logVar, ArrayView<float> eps, ArrayView<float> dz, ArrayView<float> dMu, ArrayView<float> dLogVar, int which)
    {
        float g = dz[i];
        if ((which & 1) != 0) dMu[i] += g;
        if ((which & 2) != 0) dLogVar[i] += g * eps[i] * 0.5f * XMath.Exp(0.5f * logVar[i]);
    }

    /// <summary>One output pixel per thread: y[o, i, j] = x[o, i / sh, j / sw].</summary>
    public static void UpsampleNearest(Index1D t, ArrayView<float> x, ArrayView<float> y, int h, int w, int sh, int sw)
    {
        int ow = w * sw, plane = h * sh * ow;
        int o = t / plane, rest = t - (o * plane), i = rest / ow, j = rest - (i * ow);
        y[t] = x[((long)o * h * w) + ((i / sh) * w) + (j / sw)];
    }

    /// <summary>One input pixel per thread: dx[o, i, j] += the sum of dy over the block it became, in row order.</summary>
    public static void UpsampleNearestBackward(Index1D t, ArrayView<float> dy, ArrayView<float> dx, int h, int w, int sh, int sw)
    {
        int plane = h * w, o = t / plane, rest = t - (o * plane), i = rest / w, j = rest - (i * w);
        int ow = w * sw;
        long first = ((long)o * plane * sh * sw) + ((long)i * sh * ow) + ((long)j * sw);
        float sum = 0f;
        for (int a = 0; a < sh; a++)
            for (int b = 0; b < sw; b++) sum += dy[first + ((long)a * ow) + b];
        dx[t] += sum;
    }

    /// <summary>One Adam update per element, PyTorch's formula: p -= step m / (sqrt(v) / sqrt(bc2) + eps).</summary>
    public static void AdamStep(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamArgs s)
    {
        float pv = p[i], gi = g[i] + (s.WeightDecay != 0f ? s.WeightDecay * pv : 0f);
        float mi = (m[i] * s.Beta1) + (gi * (1f - s.Beta1));
        float vi = (v[i] * s.Beta2) + (gi * gi * (1f - s.Beta2));
        m[i] = mi;
        v[i] = vi;
        p[i] = pv - (s.StepSize * mi / ((XMath.Sqrt(vi) * s.InverseBiasCorrection2Sqrt) + s.Epsilon));
    }

    /// <summary>One SGD update per element, with PyTorch's momentum, dampening and Nesterov rules.</summary>
    public static void SgdStep(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> buffer, SgdArgs s)
    {
        float d = g[i] + (s.WeightDecay * p[i]);
        if (s.HasMomentum != 0)
        {
            float b = s.FirstStep != 0 ? d : (s.Momentum * buffer[i]) + ((1f - s.Dampening) * d);
            buffer[i] = b;
            d = s.Nesterov != 0 ? d + (s.Momentum * b) : b;
        }
        p[i] -= s.LearningRate * d;
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
