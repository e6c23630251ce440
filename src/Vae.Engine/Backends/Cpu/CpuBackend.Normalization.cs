using System.Numerics;

namespace Vae.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void BatchNormForward(BufferRef x, BufferRef y, int n, int channels, int inner, BufferRef? weight, BufferRef? bias, BufferRef? residual,
        Activation activation, BufferRef mean, BufferRef invStd, bool batchStatistics, float eps)
    {
        CheckNormActivation(activation);
        var state = new Norm
        {
            X = Ptr(x), Y = Ptr(y), N = n, Channels = channels, Inner = inner, Eps = eps, BatchStatistics = batchStatistics, Relu = activation == Activation.Relu,
            Weight = weight is { } w ? Ptr(w) : null, Bias = bias is { } b ? Ptr(b) : null, Residual = residual is { } r ? Ptr(r) : null,
            Mean = Ptr(mean), InvStd = Ptr(invStd),
        };
        CpuParallel.For(channels, (long)n * channels * inner >= 32 * 1024 ? ThreadBudget.Current : 1, state, &Norm.Forward);
    }

    public void BatchNormBackward(BufferRef x, BufferRef y, BufferRef dy, int n, int channels, int inner, BufferRef? weight, Activation activation,
        BufferRef mean, BufferRef invStd, bool batchStatistics, BufferRef? dx, BufferRef? dWeight, BufferRef? dBias, BufferRef? dResidual)
    {
        CheckNormActivation(activation);
        var state = new Norm
        {
            X = Ptr(x), Y = Ptr(y), Dy = Ptr(dy), N = n, Channels = channels, Inner = inner, BatchStatistics = batchStatistics, Relu = activation == Activation.Relu,
            Weight = weight is { } w ? Ptr(w) : null, Mean = Ptr(mean), InvStd = Ptr(invStd),
            Dx = dx is { } d ? Ptr(d) : null, DWeight = dWeight is { } dw ? Ptr(dw) : null, DBias = dBias is { } db ? Ptr(db) : null,
            DResidual = dResidual is { } dr ? Ptr(dr) : null,
        };
        CpuParallel.For(channels, (long)n * channels * inner >= 32 * 1024 ? ThreadBudget.Current : 1, state, &Norm.Backward);
    }

    private static void CheckNormActivation(Activation activation)
    {
        if (activation is not (Activation.None or Activation.Relu))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Batch norm fuses only ReLU.");
    }

    /// <summary>One channel of a batch norm: its values are n runs of inner contiguous floats, channels * inner apart.</summary>
    private struct Norm
    {
        public float* X, Y, Dy, Dx, Weight, Bias, Residual, Mean, InvStd, DWeight, DBias, DResidual;
        public int N, Channels, Inner;
        public float Eps;
        public bool BatchStatistics, Relu;

        public static void Forward(int c, ref Norm s)
        {
            long stride = (long)s.Channels * s.Inner;
            int inner = s.Inner;
            if (s.BatchStatistics)
            {
                // Two passes in double: the mean, then the variance around it (no cancellation).
                double sum = 0;
                for (int i = 0; i < s.N; i++) sum += Summation.Sum(new ReadOnlySpan<float>(s.X + i * stride + (long)c * inner, inner));
                double count = (double)s.N * inner, mean = sum / count, squares = 0;
                for (int i = 0; i < s.N; i++) squares += SquaredDeviation(new ReadOnlySpan<float>(s.X + i * stride + (long)c * inner, inner), (float)mean);
                s.Mean[c] = (float)mean;
                s.InvStd[c] = (float)(1.0 / Math.Sqrt(squares / count + s.Eps));
            }
            float scale = s.InvStd[c] * (s.Weight == null ? 1f : s.Weight[c]);
            float shift = (s.Bias == null ? 0f : s.Bias[c]) - s.Mean[c] * scale;
            var vScale = new Vector<float>(scale); var vShift = new Vector<float>(shift);
            int w = Vector<float>.Count;
            for (int i = 0; i < s.N; i++)
            {
                long offset = i * stride + (long)c * inner;
                float* x = s.X + offset, y = s.Y + offset, r = s.Residual == null ? null : s.Residual + offset;
                int j = 0;
                for (; j <= inner - w; j += w)
                {
                    var v = Vector.Load(x + j) * vScale + vShift;
                    if (r != null) v += Vector.Load(r + j);
                    if (s.Relu) v = Vector.Max(v, Vector<float>.Zero);
                    Vector.Store(v, y + j);
                }
                for (; j < inner; j++)
                {
                    float v = x[j] * scale + shift + (r == null ? 0f : r[j]);
                    y[j] = s.Relu && !(v > 0f) ? 0f : v;
                }
            }
        }

        public static void Backward(int c, ref Norm s)
        {
            long stride = (long)s.Channels * s.Inner;
            int inner = s.Inner, w = Vector<float>.Count;
            float mean = s.Mean[c], invStd = s.InvStd[c], weight = s.Weight == null ? 1f : s.Weight[c];
            var vMean = new Vector<float>(mean);
            // g = dy masked by the ReLU (y > 0); sums of g and of g * (x - mean).
            double sumG = 0, sumGCentred = 0;
            for (int i = 0; i < s.N; i++)
            {
                long offset = i * stride + (long)c * inner;
                float* x = s.X + offset, y = s.Y + offset, dy = s.Dy + offset, dr = s.DResidual == null ? null : s.DResidual + offset;
                Vector<float> a = Vector<float>.Zero, b = Vector<float>.Zero;
                int j = 0;
                for (; j <= inner - w; j += w)
                {
                    var g = Vector.Load(dy + j);
                    if (s.Relu) g = Vector.ConditionalSelect(Vector.GreaterThan(Vector.Load(y + j), Vector<float>.Zero), g, Vector<float>.Zero);
                    if (dr != null) Vector.Store(Vector.Load(dr + j) + g, dr + j);
                    a += g;
                    b += g * (Vector.Load(x + j) - vMean);
                }
                double sa = Vector.Sum(a), sb = Vector.Sum(b);
                for (; j < inner; j++)
                {
                    float g = s.Relu && !(y[j] > 0f) ? 0f : dy[j];
                    if (dr != null) dr[j] += g;
                    sa += g;
                    sb += g * (x[j] - mean);
                }
                sumG += sa;
                sumGCentred += sb;
            }
            double sumGXhat = sumGCentred * invStd;
            if (s.DWeight != null) s.DWeight[c] += (float)sumGXhat;
            if (s.DBias != null) s.DBias[c] += (float)sumG;
            if (s.Dx == null) return;
            double count = (double)s.N * inner;
            // dx = weight * invStd * (g - mean(g) - xhat * mean(g * xhat)) with batch statistics; weight * invStd * g otherwise.
            float k = weight * invStd;
            float meanG = s.BatchStatistics ? (float)(sumG / count) : 0f;
            float slope = s.BatchStatistics ? (float)(sumGXhat / count) * invStd : 0f; // per unit of (x - mean)
            var vk = new Vector<float>(k); var vMeanG = new Vector<float>(meanG); var vSlope = new Vector<float>(slope);
            for (int i = 0; i < s.N; i++)
            {
                long offset = i * stride + (long)c * inner;
                float* x = s.X + offset, y = s.Y + offset, dy = s.Dy + offset, dx = s.Dx + offset;
                int j = 0;
                for (; j <= inner - w; j += w)
                {
                    var g = Vector.Load(dy + j);
                    if (s.Relu) g = Vector.ConditionalSelect(Vector.GreaterThan(Vector.Load(y + j), Vector<float>.Zero), g, Vector<float>.Zero);
                    Vector.Store(Vector.Load(dx + j) + vk * (g - vMeanG - (Vector.Load(x + j) - vMean) * vSlope), dx + j);
                }
                for (; j < inner; j++)
                {
                    float g = s.Relu && !(y[j] > 0f) ? 0f : dy[j];
                    dx[j] += k * (g - meanG - (x[j] - mean) * slope);
                }
            }
        }

        private static double SquaredDeviation(ReadOnlySpan<float> x, float mean)
        {
            int j = 0, w = Vector<float>.Count;
            var acc = Vector<float>.Zero; var m = new Vector<float>(mean);
            for (; j <= x.Length - w; j += w) { var d = new Vector<float>(x[j..]) - m; acc += d * d; }
            double sum = Vector.Sum(acc);
            for (; j < x.Length; j++) { double d = x[j] - mean; sum += d * d; }
            return sum;
        }
    }

    public void UpsampleNearest(BufferRef x, BufferRef y, int outer, int h, int w, int sh, int sw)
    {
        var state = new Upsampling { X = Ptr(x), Y = Ptr(y), H = h, W = w, Sh = sh, Sw = sw };
        CpuParallel.For(outer, (long)outer * h * w * sh * sw >= 32 * 1024 ? ThreadBudget.Current : 1, state, &Upsampling.Forward);
    }

    public void UpsampleNearestBackward(BufferRef dy, BufferRef dx, int outer, int h, int w, int sh, int sw)
    {
        var state = new Upsampling { X = Ptr(dx), Y = Ptr(dy), H = h, W = w, Sh = sh, Sw = sw };
        CpuParallel.For(outer, (long)outer * h * w * sh * sw >= 32 * 1024 ? ThreadBudget.Current : 1, state, &Upsampling.Backward);
    }

    /// <summary>One (h, w) plane of a nearest-neighbour upsampling; X is the small side, Y the large.</summary>
    private struct Upsampling
    {
        public float* X, Y;
        public int H, W, Sh, Sw;

        public static void Forward(int plane, ref Upsampling s)
        {
            int wide = s.W * s.Sw;
            float* x = s.X + (long)plane * s.H * s.W, y = s.Y + (long)plane * s.H * s.Sh * wide;
            for (int i = 0; i < s.H; i++, x += s.W)
            {
                float* row = y + (long)i * s.Sh * wide;
                if (s.Sw == 2)
                {
                    for (int j = 0; j < s.W; j++) { float v = x[j]; row[2 * j] = v; row[2 * j + 1] = v; }
                }
                else
                {
                    for (int j = 0; j < s.W; j++) new Span<float>(row + j * s.Sw, s.Sw).Fill(x[j]);
                }
                for (int r = 1; r < s.Sh; r++) new ReadOnlySpan<float>(row, wide).CopyTo(new Span<float>(row + (long)r * wide, wide));
            }
        }

        public static void Backward(int plane, ref Upsampling s)
        {
            int wide = s.W * s.Sw;
            float* dx = s.X + (long)plane * s.H * s.W, dy = s.Y + (long)plane * s.H * s.Sh * wide;
            for (int i = 0; i < s.H; i++, dx += s.W)
            {
                for (int r = 0; r < s.Sh; r++)
                {
                    float* row = dy + ((long)i * s.Sh + r) * wide;
                    for (int j = 0; j < s.W; j++)
                    {
                        float sum = 0;
                        for (int q = 0; q < s.Sw; q++) sum += row[j * s.Sw + q];
                        dx[j] += sum;
                    }
                }
            }
        }
    }
}
