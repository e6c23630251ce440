using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>
    /// Nearest-neighbour upsampling of (N, C, H, W) by integer factors (torch's interpolate with
    /// mode 'nearest'): each pixel becomes a block. Built as a broadcast view made dense, so the
    /// backward pass sums each block.
    /// </summary>
    public static Tensor UpsampleNearest(Tensor x, Size2 scale)
    {
        if (x.Rank != 4) throw new ArgumentException($"UpsampleNearest needs (N, C, H, W), got {ShapeOf.Format(x.Shape)}.");
        if (scale.H < 1 || scale.W < 1) throw new ArgumentException($"Scale factor {scale} must be a positive integer.");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (scale.H == 1 && scale.W == 1) return x;
        if (x.Backend.Kernels<IUpsampleKernels>() is { } fused)
        {
            x = Dense(x);
            var y = Tensor.Empty([n, c, h * scale.H, w * scale.W], x.Backend);
            fused.UpsampleNearest(x.Buffer, y.Buffer, n * c, h, w, scale.H, scale.W);
            if (Autograd.Needs(x))
                Autograd.Record(y, "upsample_nearest", [x], dy => fused.UpsampleNearestBackward(dy.Buffer, x.GradForAccumulation().Buffer, n * c, h, w, scale.H, scale.W));
            return y;
        }
        var blocks = Expand(Reshape(x, n, c, h, 1, w, 1), n, c, h, scale.H, w, scale.W);
        return Reshape(Contiguous(blocks), n, c, h * scale.H, w * scale.W);
    }

    /// <summary>Mean over the spatial dimensions: (N, C, H, W) to (N, C).</summary>
    public static Tensor GlobalAvgPool2d(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"GlobalAvgPool2d needs (N, C, H, W), got {ShapeOf.Format(x.Shape)}.");
        return Mean(Reshape(x, x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]), 2);
    }

    /// <summary>
    /// torch's adaptive_avg_pool2d: output cell (i, j) averages rows floor(i H / oh) ..
    /// ceil((i + 1) H / oh) and the like for columns. Computed as Ph x Pw^T with averaging matrices.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, Size2 output)
    {
        if (x.Rank != 4) throw new ArgumentException($"AdaptiveAvgPool2d needs (N, C, H, W), got {ShapeOf.Format(x.Shape)}.");
        if (output.H < 1 || output.W < 1) throw new ArgumentException($"Output size {output} must be positive.");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (output.H == 1 && output.W == 1) return Reshape(GlobalAvgPool2d(x), n, c, 1, 1);
        var rows = PoolingMatrix(output.H, h, x.Backend);    // (oh, H)
        var columns = PoolingMatrix(output.W, w, x.Backend); // (ow, W)
        var alongW = MatMul(Reshape(x, n * c * h, w), Transpose(columns, 0, 1));               // (N*C*H, ow)
        var moved = Reshape(Transpose(Reshape(alongW, n * c, h, output.W), 1, 2), n * c * output.W, h); // (N*C*ow, H)
        var alongH = MatMul(moved, Transpose(rows, 0, 1));                                     // (N*C*ow, oh)
        return Reshape(Transpose(Reshape(alongH, n * c, output.W, output.H), 1, 2), n, c, output.H, output.W);
    }

    /// <summary>
    /// torch's max_pool2d (no dilation, floor mode): the largest value of each window, padding
    /// counting as minus infinity; the gradient goes to the first largest element of each window.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, Size2 kernel, Size2? stride = null, Size2? padding = null)
    {
        if (x.Rank != 4) throw new ArgumentException($"MaxPool2d needs (N, C, H, W), got {ShapeOf.Format(x.Shape)}.");
        Size2 s = stride ?? kernel, p = padding ?? 0;
        if (p.H * 2 > kernel.H || p.W * 2 > kernel.W) throw new ArgumentException($"Padding {p} must be at most half the kernel {kernel}.");
        int n = x.Shape[0], c = x.Shape[1];
        // Each channel unfolded on its own: (N*C, kh*kw, L), then the maximum over the window.
        var planes = Reshape(x, n * c, 1, x.Shape[2], x.Shape[3]);
        var windows = Unfold(planes, kernel, s, p, padValue: float.NegativeInfinity);
        var g = new ConvGeometry(1, x.Shape[2], x.Shape[3], kernel.H, kernel.W, s.H, s.W, p.H, p.W);
        return Reshape(Max(windows, 1), n, c, g.OutHeight, g.OutWidth);
    }

    /// <summary>
    /// Inverted dropout: in training, zeroes each element with probability p (mask drawn from
    /// <paramref name="generator"/>) and scales the rest by 1 / (1 - p); in eval, the identity.
    /// </summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Generator generator)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability must be in [0, 1), got {p}.");
        if (!training || p == 0) return x;
        var keep = Step(Tensor.Rand(generator, x.Shape, x.Backend), p); // u > p with probability 1 - p
        return DropoutWithMask(x, keep, p);
    }

    /// <summary>x * mask / (1 - p) for a given 0/1 mask.</summary>
    public static Tensor DropoutWithMask(Tensor x, Tensor mask, float p) => Mul(x, MulScalar(mask, 1f / (1f - p)));

    private static Tensor PoolingMatrix(int outputs, int inputs, IBackend backend)
    {
        var values = new float[outputs * inputs];
        for (int i = 0; i < outputs; i++)
        {
            int start = i * inputs / outputs, end = ((i + 1) * inputs + outputs - 1) / outputs;
            for (int j = start; j < end; j++) values[i * inputs + j] = 1f / (end - start);
        }
        return Tensor.FromArray(values, [outputs, inputs], backend);
    }
}
