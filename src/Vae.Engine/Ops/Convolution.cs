using Vae.Engine.Backends;
using Vae.Engine.Diagnostics;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

/// <summary>
/// Convolutions as im2col and GEMM, in NCHW. A chunk of images is unfolded into one matrix with a
/// row per output position (count*P, C*kh*kw), so each step is one large GEMM whatever the image
/// size; chunks are sized to a fixed budget, so memory does not grow with the batch, and the
/// backward pass unfolds each chunk again rather than keeping it. GEMM results come out
/// position-major (count*P, O) and are transposed into NCHW by a strided copy. 3x3 convolutions
/// with stride 1 and padding 1 go to the backend's fast kernel when it has one.
/// </summary>
public static partial class F
{
    /// <summary>Column-matrix floats per chunk: 16 MB, enough images for a large GEMM while the columns stay in the last-level cache.</summary>
    private const int ColumnBudget = 4 * 1024 * 1024;

    /// <summary>
    /// 2-D cross-correlation as torch's conv2d: x (N, C, H, W), weight (O, C, kh, kw), bias (O)
    /// optional; groups 1; then <paramref name="activation"/>. The result is (N, O, outH, outW).
    /// With the backend's convolution kernels the bias and activation are applied in the same
    /// pass and the backward pass takes the activation's derivative from the output; otherwise
    /// the activation is an op of its own (the oracle the tests hold the fused form to).
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null, Size2? dilation = null,
        Activation activation = Activation.None, float slope = 0.01f)
    {
        SameBackend(x, weight);
        if (x.Rank != 4 || weight.Rank != 4 || x.Shape[1] != weight.Shape[1])
            throw new ArgumentException($"Conv2d needs x: (N, C, H, W) and weight: (O, C, kh, kw) with the same C, got {ShapeOf.Format(x.Shape)} and {ShapeOf.Format(weight.Shape)}.");
        Size2 s = stride ?? 1, p = padding ?? 0, d = dilation ?? 1;
        var g = new ConvGeometry(x.Shape[1], x.Shape[2], x.Shape[3], weight.Shape[2], weight.Shape[3], s.H, s.W, p.H, p.W, d.H, d.W);
        g.Validate();
        CheckBias(bias, weight.Shape[0], "Conv2d");
        x = Dense(x);
        weight = Dense(weight);
        CountWork(x, weight, (long)x.Shape[0] * weight.Shape[0] * g.Positions * g.Patch);
        var backend = x.Backend;
        if (backend.Kernels<IConv3x3Kernels>() is { } fused && g is { KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1 })
            return Activate(Conv3x3(fused, x, weight, bias), activation, slope);
        if (backend.Kernels<IConvKernels>() is { } kernels)
            return ConvFused(kernels, x, weight, bias, g, activation, slope);
        return Activate(ConvComposed(x, weight, bias, g), activation, slope);
    }

    /// <summary>The fused convolution: bias and activation inside the kernel, the activation's gradient taken from y.</summary>
    private static Tensor ConvFused(IConvKernels kernels, Tensor x, Tensor weight, Tensor? bias, ConvGeometry g, Activation activation, float slope)
    {
        int n = x.Shape[0], outC = weight.Shape[0];
        var y = Tensor.Empty([n, outC, g.OutHeight, g.OutWidth], x.Backend); // y: (N, O, outH, outW)
        kernels.ConvForward(x.Buffer, weight.Buffer, bias?.Buffer, y.Buffer, n, outC, g, activation, slope);
        bool needs = bias is null ? Autograd.Needs(x, weight) : Autograd.Needs(x, weight, bias);
        if (needs)
            Autograd.Record(y, "conv2d", bias is null ? [x, weight] : [x, weight, bias], dy =>
                kernels.ConvBackward(x.Buffer, weight.Buffer, y.Buffer, dy.Buffer, n, outC, g, activation, slope,
                    Tensor.GradWriteTarget(x),
                    Tensor.GradWriteTarget(weight),
                    Tensor.GradWriteTarget(bias)));
        return y;
    }

    /// <summary>im2col over chunks of the batch, one large GEMM per chunk, a transposing copy into NCHW, then the bias.</summary>
    private static Tensor ConvComposed(Tensor x, Tensor weight, Tensor? bias, ConvGeometry g)
    {
        int n = x.Shape[0], outC = weight.Shape[0];
        var backend = x.Backend;
        int positions = g.Positions, patch = g.Patch;
        var y = Tensor.Empty([n, outC, g.OutHeight, g.OutWidth], backend); // y: (N, O, outH, outW)

        int chunk = ChunkSize(g.ColumnSize, n);
        bool needs = bias is null ? Autograd.Needs(x, weight) : Autograd.Needs(x, weight, bias);
        // When one chunk holds the whole batch, its columns are kept for the weight gradient
        // (a tensor of the step's scope) instead of being unfolded again in the backward pass.
        bool keep = needs && weight.RequiresGrad && chunk >= n;
        var columns = keep ? Tensor.Empty([chunk * g.ColumnSize], backend) : Scratch(chunk * g.ColumnSize, backend);
        using (var product = Scratch(chunk * outC * positions, backend))
        {
            for (int first = 0; first < n; first += chunk)
            {
                int count = Math.Min(chunk, n - first), rows = count * positions;
                backend.Im2Col(x.Buffer.At(first * g.ImageSize), count, g, columns.Buffer);
                // (count*P, O) = columns (count*P, C*kh*kw) @ W^T, then to (count, O, P).
                backend.Gemm(false, true, rows, outC, patch, 1f, columns.Buffer, patch, weight.Buffer, patch, 0f, product.Buffer, outC);
                PositionsToImages(product, y, first, count, outC, positions, accumulate: false);
            }
        }
        if (!keep) columns.Dispose();
        var columnsKept = columns;
        if (bias is not null) AddChannelBias(y, bias);

        if (needs)
            Autograd.Record(y, "conv2d", bias is null ? [x, weight] : [x, weight, bias], dy =>
            {
                if (bias is { RequiresGrad: true }) ChannelSums(dy, bias.GradForAccumulation());
                if (!x.RequiresGrad && !weight.RequiresGrad) return;
                using var scratch = keep ? null : Scratch(chunk * g.ColumnSize, backend);
                var columns = keep ? columnsKept : scratch!;
                using var gradient = Scratch(chunk * outC * positions, backend);
                for (int first = 0; first < n; first += chunk)
                {
                    int count = Math.Min(chunk, n - first), rows = count * positions;
                    ImagesToPositions(dy, gradient, first, count, outC, positions); // dY: (count*P, O)
                    if (weight.RequiresGrad)
                    {
                        // dW (O, C*kh*kw) += dY^T @ columns
                        if (!keep) backend.Im2Col(x.Buffer.At(first * g.ImageSize), count, g, columns.Buffer);
                        backend.Gemm(true, false, outC, patch, rows, 1f, gradient.Buffer, outC, columns.Buffer, patch, 1f, weight.GradForAccumulation().Buffer, patch);
                    }
                    if (x.RequiresGrad)
                    {
                        // dColumns = dY @ W, folded back onto the input.
                        backend.Gemm(false, false, rows, patch, outC, 1f, gradient.Buffer, outC, weight.Buffer, patch, 0f, columns.Buffer, patch);
                        backend.Col2Im(columns.Buffer, count, g, x.GradForAccumulation().Buffer.At(first * g.ImageSize));
                    }
                }
            });
        return y;
    }

    /// <summary>A 3x3, stride 1, padding 1 convolution by the backend's fast kernel, with its backward beside it.</summary>
    private static Tensor Conv3x3(IConv3x3Kernels fused, Tensor x, Tensor weight, Tensor? bias)
    {
        int n = x.Shape[0], inC = x.Shape[1], h = x.Shape[2], w = x.Shape[3], outC = weight.Shape[0];
        var y = Tensor.Empty([n, outC, h, w], x.Backend);
        fused.Conv3x3Forward(x.Buffer, weight.Buffer, y.Buffer, n, inC, outC, h, w);
        if (bias is not null) AddChannelBias(y, bias);
        bool needs = bias is null ? Autograd.Needs(x, weight) : Autograd.Needs(x, weight, bias);
        if (needs)
            Autograd.Record(y, "conv3x3", bias is null ? [x, weight] : [x, weight, bias], dy =>
            {
                if (bias is { RequiresGrad: true }) ChannelSums(dy, bias.GradForAccumulation());
                fused.Conv3x3Backward(x.Buffer, weight.Buffer, dy.Buffer, n, inC, outC, h, w,
                    Tensor.GradTarget(x),
                    Tensor.GradTarget(weight));
            });
        return y;
    }

    /// <summary>
    /// The transposed convolution (torch's conv_transpose2d, groups 1): x (N, Cin, H, W), weight
    /// (Cin, Cout, kh, kw), bias (Cout). The output is (N, Cout, (H - 1) s - 2 p + d (k - 1) + outputPadding + 1, ...):
    /// the adjoint of a Conv2d from that output size back to (H, W).
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null, Size2? outputPadding = null, Size2? dilation = null,
        Activation activation = Activation.None, float slope = 0.01f)
    {
        SameBackend(x, weight);
        if (x.Rank != 4 || weight.Rank != 4 || x.Shape[1] != weight.Shape[0])
            throw new ArgumentException($"ConvTranspose2d needs x: (N, Cin, H, W) and weight: (Cin, Cout, kh, kw) with the same Cin, got {ShapeOf.Format(x.Shape)} and {ShapeOf.Format(weight.Shape)}.");
        Size2 s = stride ?? 1, p = padding ?? 0, op = outputPadding ?? 0, d = dilation ?? 1;
        if (op.H < 0 || op.W < 0 || (op.H >= s.H && op.H >= d.H) || (op.W >= s.W && op.W >= d.W))
            throw new ArgumentException($"Output padding {op} must be smaller than the stride {s} or the dilation {d}.");
        int n = x.Shape[0], inC = x.Shape[1], h = x.Shape[2], w = x.Shape[3], outC = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        int outH = (h - 1) * s.H - 2 * p.H + d.H * (kh - 1) + op.H + 1;
        int outW = (w - 1) * s.W - 2 * p.W + d.W * (kw - 1) + op.W + 1;
        if (outH < 1 || outW < 1) throw new ArgumentException($"ConvTranspose2d of a ({h}, {w}) input with padding {p} has no output pixels.");
        // The convolution this op is the adjoint of: from (Cout, outH, outW) down to (h, w).
        var g = new ConvGeometry(outC, outH, outW, kh, kw, s.H, s.W, p.H, p.W, d.H, d.W);
        g.Validate();
        CheckBias(bias, outC, "ConvTranspose2d");
        x = Dense(x);
        weight = Dense(weight);
        CountWork(x, weight, (long)n * inC * h * w * g.Patch);
        if (x.Backend.Kernels<IConvKernels>() is { } kernels)
            return ConvTransposeFused(kernels, x, weight, bias, g, activation, slope);
        return Activate(ConvTransposeComposed(x, weight, bias, g), activation, slope);
    }

    /// <summary>The fused transposed convolution: bias and activation inside the kernel, the activation's gradient taken from y.</summary>
    private static Tensor ConvTransposeFused(IConvKernels kernels, Tensor x, Tensor weight, Tensor? bias, ConvGeometry g, Activation activation, float slope)
    {
        int n = x.Shape[0], inC = x.Shape[1];
        var y = Tensor.Empty([n, g.Channels, g.Height, g.Width], x.Backend); // y: (N, Cout, outH, outW)
        kernels.ConvTransposeForward(x.Buffer, weight.Buffer, bias?.Buffer, y.Buffer, n, inC, g, activation, slope);
        bool needs = bias is null ? Autograd.Needs(x, weight) : Autograd.Needs(x, weight, bias);
        if (needs)
            Autograd.Record(y, "conv_transpose2d", bias is null ? [x, weight] : [x, weight, bias], dy =>
                kernels.ConvTransposeBackward(x.Buffer, weight.Buffer, y.Buffer, dy.Buffer, n, inC, g, activation, slope,
                    Tensor.GradWriteTarget(x),
                    Tensor.GradWriteTarget(weight),
                    Tensor.GradWriteTarget(bias)));
        return y;
    }

    /// <summary>A GEMM per chunk of the batch into a column matrix, folded onto the output, then the bias.</summary>
    private static Tensor ConvTransposeComposed(Tensor x, Tensor weight, Tensor? bias, ConvGeometry g)
    {
        int n = x.Shape[0], inC = x.Shape[1], h = x.Shape[2], w = x.Shape[3], outC = g.Channels;
        var backend = x.Backend;
        int positions = h * w, patch = g.Patch; // patch = Cout * kh * kw
        var y = Tensor.Zeros([n, outC, g.Height, g.Width], backend);

        int chunk = ChunkSize(g.ColumnSize, n);
        using (var columns = Scratch(chunk * g.ColumnSize, backend))
        using (var input = Scratch(chunk * inC * positions, backend))
        {
            for (int first = 0; first < n; first += chunk)
            {
                int count = Math.Min(chunk, n - first), rows = count * positions;
                ImagesToPositions(x, input, first, count, inC, positions); // (count*h*w, Cin)
                // columns (count*h*w, Cout*kh*kw) = x @ W, then folded onto the output.
                backend.Gemm(false, false, rows, patch, inC, 1f, input.Buffer, inC, weight.Buffer, patch, 0f, columns.Buffer, patch);
                backend.Col2Im(columns.Buffer, count, g, y.Buffer.At(first * g.ImageSize));
            }
        }
        if (bias is not null) AddChannelBias(y, bias);

        bool needs = bias is null ? Autograd.Needs(x, weight) : Autograd.Needs(x, weight, bias);
        if (needs)
            Autograd.Record(y, "conv_transpose2d", bias is null ? [x, weight] : [x, weight, bias], dy =>
            {
                if (bias is { RequiresGrad: true }) ChannelSums(dy, bias.GradForAccumulation());
                if (!x.RequiresGrad && !weight.RequiresGrad) return;
                using var columns = Scratch(chunk * g.ColumnSize, backend);
                using var input = Scratch(chunk * inC * positions, backend);
                for (int first = 0; first < n; first += chunk)
                {
                    int count = Math.Min(chunk, n - first), rows = count * positions;
                    backend.Im2Col(dy.Buffer.At(first * g.ImageSize), count, g, columns.Buffer);
                    if (weight.RequiresGrad)
                    {
                        // dW (Cin, Cout*kh*kw) += x^T @ unfold(dy)
                        ImagesToPositions(x, input, first, count, inC, positions);
                        backend.Gemm(true, false, inC, patch, rows, 1f, input.Buffer, inC, columns.Buffer, patch, 1f, weight.GradForAccumulation().Buffer, patch);
                    }
                    if (x.RequiresGrad)
                    {
                        // dX (count*h*w, Cin) = unfold(dy) @ W^T, back to (count, Cin, h*w).
                        backend.Gemm(false, true, rows, inC, patch, 1f, columns.Buffer, patch, weight.Buffer, patch, 0f, input.Buffer, inC);
                        PositionsToImages(input, x.GradForAccumulation(), first, count, inC, positions, accumulate: true);
                    }
                }
            });
        return y;
    }

    /// <summary>
    /// torch's unfold: x (N, C, H, W) to (N, C * kh * kw, L), the sliding windows as columns, with
    /// <paramref name="padValue"/> outside the image. Differentiable (its adjoint is a fold).
    /// </summary>
    public static Tensor Unfold(Tensor x, Size2 kernel, Size2? stride = null, Size2? padding = null, Size2? dilation = null, float padValue = 0f)
    {
        if (x.Rank != 4) throw new ArgumentException($"Unfold needs (N, C, H, W), got {ShapeOf.Format(x.Shape)}.");
        Size2 s = stride ?? 1, p = padding ?? 0, d = dilation ?? 1;
        var g = new ConvGeometry(x.Shape[1], x.Shape[2], x.Shape[3], kernel.H, kernel.W, s.H, s.W, p.H, p.W, d.H, d.W);
        g.Validate();
        x = Dense(x);
        int n = x.Shape[0];
        // The backend's rows are (N, L, C*kh*kw); torch's layout is their transpose.
        var rows = Tensor.Empty([n, g.Positions, g.Patch], x.Backend);
        x.Backend.Im2Col(x.Buffer, n, g, rows.Buffer, padValue);
        if (Autograd.Needs(x))
            Autograd.Record(rows, "unfold", [x], dy => x.Backend.Col2Im(dy.Buffer, n, g, x.GradForAccumulation().Buffer));
        return Transpose(rows, 1, 2);
    }

    /// <summary>
    /// The profile's FLOPs of a convolution of <paramref name="multiplyAdds"/> multiply-adds: 2 x
    /// that for the forward pass now, and again for each of the weight and input gradients the
    /// backward pass will compute.
    /// </summary>
    private static void CountWork(Tensor x, Tensor weight, long multiplyAdds)
    {
        if (!StepProfiler.Active) return;
        bool backward = Autograd.Needs(x, weight);
        StepProfiler.Work(2 * multiplyAdds);
        if (backward) StepProfiler.BackwardWork(2 * multiplyAdds * ((weight.RequiresGrad ? 1 : 0) + (x.RequiresGrad ? 1 : 0)));
    }

    private static void CheckBias(Tensor? bias, int channels, string op)
    {
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != channels))
            throw new ArgumentException($"{op}'s bias must have shape ({channels}), got {ShapeOf.Format(bias.Shape)}.");
    }

    /// <summary>Images per chunk: as many as the column budget holds, at least one.</summary>
    private static int ChunkSize(int columnSize, int images) => Math.Clamp(ColumnBudget / Math.Max(1, columnSize), 1, Math.Max(1, images));

    /// <summary>A pooled buffer outside any scope, for one op's working memory.</summary>
    private static Tensor Scratch(int length, IBackend backend) => Tensor.EmptyUntracked([length], backend);

    /// <summary>images[first + n, c, p] (+)= matrix[n * P + p, c] for a (count * P, channels) matrix.</summary>
    private static void PositionsToImages(Tensor matrix, Tensor images, int first, int count, int channels, int positions, bool accumulate)
        => matrix.Backend.Copy(matrix.Buffer, [positions * channels, 1, channels], images.Buffer.At(first * channels * positions),
            [channels * positions, positions, 1], [count, channels, positions], accumulate);

    /// <summary>matrix[n * P + p, c] = images[first + n, c, p]: a chunk of images as one (count * P, channels) matrix.</summary>
    private static void ImagesToPositions(Tensor images, Tensor matrix, int first, int count, int channels, int positions)
        => images.Backend.Copy(images.Buffer.At(first * channels * positions), [channels * positions, positions, 1], matrix.Buffer,
            [positions * channels, 1, channels], [count, channels, positions], accumulate: false);

    /// <summary>In place: y[n, c, ...] += bias[c].</summary>
    private static void AddChannelBias(Tensor y, Tensor bias)
    {
        var (outer, channels, inner) = ShapeOf.Around(y.Shape, 1);
        y.Backend.Copy(bias.Buffer, [0, 1, 0], y.Buffer, [channels * inner, inner, 1], [outer, channels, inner], accumulate: true);
    }

    /// <summary>db[c] += sum over n and positions of dy[n, c, ...].</summary>
    private static void ChannelSums(Tensor dy, Tensor db)
    {
        var (outer, channels, inner) = ShapeOf.Around(dy.Shape, 1);
        using var perImage = Tensor.EmptyUntracked([outer * channels], dy.Backend);
        dy.Backend.Reduce(ReduceKind.Sum, dy.Buffer, perImage.Buffer, outer * channels, inner, 1);
        using var total = Tensor.EmptyUntracked([channels], dy.Backend);
        dy.Backend.Reduce(ReduceKind.Sum, perImage.Buffer, total.Buffer, 1, outer, channels);
        AddInto(total, db);
    }
}
