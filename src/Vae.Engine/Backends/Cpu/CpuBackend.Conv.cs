using System.Numerics;
using System.Numerics.Tensors;
using Vae.Engine.Diagnostics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Convolutions and transposed convolutions a few images at a time, each thread on its own chunk
/// of the batch: the chunk's column matrix is unfolded, multiplied and folded back while it is in
/// the core's L2 cache; products come out channel-major, so each image's channels reach NCHW as
/// contiguous runs (no transposing copy); and the bias and activation (forward) or the
/// activation's gradient and the bias sums (backward) are applied on the way, in the same pass.
/// The batch-wide form in <c>Ops/Convolution.cs</c>, which materialises the whole column matrix in
/// memory and makes a pass of its own for each step, is the oracle.
/// </summary>
/// <remarks>
/// The weight and bias gradients of each chunk go to a buffer of their own and are summed in chunk
/// order afterwards; chunk sizes depend only on the shapes, so the result does not depend on the
/// thread count or on which thread took which chunk. Every product inside is a single-threaded GEMM.
/// </remarks>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Rows of a chunk's column matrix to aim for: enough for an efficient product.</summary>
    private const int ConvChunkRows = 512;
    /// <summary>At most this many floats (1 MB) in a chunk's column matrix: half a core's L2 cache.</summary>
    private const int ConvChunkFloats = 256 * 1024;

    public void ConvForward(BufferRef x, BufferRef weight, BufferRef? bias, BufferRef y, int n, int outChannels, in ConvGeometry g, Activation activation, float slope)
    {
        long started = StepProfiler.Start();
        var job = new ConvJob(g, n, outChannels, g.Channels, activation, slope, GemmPathInUse, PatchMajorConvolutions)
        {
            X = Ptr(x), Weight = Ptr(weight), Bias = bias is { } b ? Ptr(b) : null, Y = Ptr(y),
        };
        // Per thread: the chunk's column matrix, then its product (O, chunk * P).
        Run(ref job, job.ChunkImages * g.ColumnSize + outChannels * job.ChunkImages * g.Positions, &ConvJob.ConvForwardChunk);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    public void ConvBackward(BufferRef x, BufferRef weight, BufferRef y, BufferRef dy, int n, int outChannels, in ConvGeometry g, Activation activation, float slope,
        GradientTarget? dx, GradientTarget? dWeight, GradientTarget? dBias)
    {
        long started = StepProfiler.Start();
        var job = new ConvJob(g, n, outChannels, g.Channels, activation, slope, GemmPathInUse, PatchMajorConvolutions)
        {
            X = Ptr(x), Weight = Ptr(weight), Y = Ptr(y), DY = Ptr(dy), DX = dx is { } d ? Ptr(d.Buffer) : null,
            OverwriteDX = dx is { Overwrite: true },
        };
        // Per thread: dZ (O, chunk * P), then the chunk's column matrix.
        int slot = outChannels * job.ChunkImages * g.Positions + job.ChunkImages * g.ColumnSize;
        RunWithPartials(ref job, slot, outChannels * g.Patch, dWeight, dBias, outChannels, &ConvJob.ConvBackwardChunk);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    public void ConvTransposeForward(BufferRef x, BufferRef weight, BufferRef? bias, BufferRef y, int n, int inChannels, in ConvGeometry g, Activation activation, float slope)
    {
        long started = StepProfiler.Start();
        var job = new ConvJob(g, n, g.Channels, inChannels, activation, slope, GemmPathInUse, PatchMajorConvolutions)
        {
            X = Ptr(x), Weight = Ptr(weight), Bias = bias is { } b ? Ptr(b) : null, Y = Ptr(y),
        };
        // Per thread: the chunk's inputs as (Cin, chunk * P), then its column matrix.
        Run(ref job, inChannels * job.ChunkImages * g.Positions + job.ChunkImages * g.ColumnSize, &ConvJob.TransposeForwardChunk);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    public void ConvTransposeBackward(BufferRef x, BufferRef weight, BufferRef y, BufferRef dy, int n, int inChannels, in ConvGeometry g, Activation activation, float slope,
        GradientTarget? dx, GradientTarget? dWeight, GradientTarget? dBias)
    {
        long started = StepProfiler.Start();
        var job = new ConvJob(g, n, g.Channels, inChannels, activation, slope, GemmPathInUse, PatchMajorConvolutions)
        {
            X = Ptr(x), Weight = Ptr(weight), Y = Ptr(y), DY = Ptr(dy), DX = dx is { } d ? Ptr(d.Buffer) : null,
            OverwriteDX = dx is { Overwrite: true },
        };
        // Per thread: dZ for the chunk's images in NCHW, their column matrix, and their inputs as (Cin, chunk * P).
        int images = job.ChunkImages;
        int slot = images * g.ImageSize + images * g.ColumnSize + inChannels * images * g.Positions;
        RunWithPartials(ref job, slot, inChannels * g.Patch, dWeight, dBias, g.Channels, &ConvJob.TransposeBackwardChunk);
        StepProfiler.End(started, ProfiledPrimitive.Unfold);
    }

    /// <summary>Runs every chunk of <paramref name="job"/>, each thread with <paramref name="slotFloats"/> floats of scratch.</summary>
    private void Run(ref ConvJob job, int slotFloats, delegate*<int, ref ConvJob, float*, void> chunk)
    {
        int threads = job.Threads(ThreadBudget.Current);
        using var scratch = ScratchBuffer(Counters + threads * slotFloats);
        job.Prepare(scratch.Pointer, slotFloats, chunk);
        CpuParallel.For(threads, threads, job, &ConvJob.Slot);
    }

    /// <summary>As <see cref="Run"/>, with a gradient buffer per chunk, summed into dWeight and dBias in chunk order at the end.</summary>
    private void RunWithPartials(ref ConvJob job, int slotFloats, int weightSize, GradientTarget? dWeight, GradientTarget? dBias, int biasSize,
        delegate*<int, ref ConvJob, float*, void> chunk)
    {
        int partial = (dWeight is null ? 0 : weightSize) + (dBias is null ? 0 : biasSize);
        using var partials = ScratchBuffer(Math.Max(1, job.Chunks * partial));
        job.Partials = partials.Pointer;
        job.PartialSize = partial;
        job.WeightGradient = dWeight is not null;
        job.BiasGradient = dBias is not null;
        Run(ref job, slotFloats, chunk);
        if (dWeight is { } dw)
        {
            if (job.PatchMajor) SumTransposedChunks(partials.Pointer, job.Chunks, partial, job.G.Patch, weightSize / job.G.Patch, Ptr(dw.Buffer), dw.Overwrite);
            else SumChunks(partials.Pointer, job.Chunks, partial, 0, weightSize, Ptr(dw.Buffer), dw.Overwrite);
        }
        if (dBias is { } db) SumChunks(partials.Pointer, job.Chunks, partial, dWeight is null ? 0 : weightSize, biasSize, Ptr(db.Buffer), db.Overwrite);
    }

    /// <summary>
    /// destination[j] (+)= sum over chunks c, in order, of partials[c * stride + offset + j]: added to
    /// what destination holds, or in place of it when <paramref name="overwrite"/>.
    /// </summary>
    private static void SumChunks(float* partials, int chunks, int stride, int offset, int count, float* destination, bool overwrite)
    {
        const int Block = 4096;
        var sum = new ChunkSum { Partials = partials, Chunks = chunks, Stride = stride, Offset = offset, Count = count, Destination = destination, Overwrite = overwrite };
        int blocks = (count + Block - 1) / Block;
        CpuParallel.For(blocks, (long)chunks * count >= 64 * 1024 ? ThreadBudget.Current : 1, sum, &ChunkSum.Run);
    }

    /// <summary>
    /// destination (cols, rows) += the sum over chunks, in order, of the (rows, cols) partials at the
    /// start of each chunk's share: the patch-major products leave each chunk's weight gradient transposed.
    /// </summary>
    private static void SumTransposedChunks(float* partials, int chunks, int stride, int rows, int cols, float* destination, bool overwrite)
    {
        if (chunks == 0)
        {
            if (overwrite) new Span<float>(destination, rows * cols).Clear();
            return;
        }
        if (chunks > 1) SumChunks(partials + stride, chunks - 1, stride, 0, rows * cols, partials, overwrite: false);
        for (int o = 0; o < cols; o++)
        {
            float* dst = destination + (long)o * rows;
            if (overwrite)
                for (int p = 0; p < rows; p++) dst[p] = partials[(long)p * cols + o];
            else
                for (int p = 0; p < rows; p++) dst[p] += partials[(long)p * cols + o];
        }
    }

    private struct ChunkSum
    {
        public float* Partials, Destination;
        public int Chunks, Stride, Offset, Count;
        public bool Overwrite;

        public static void Run(int block, ref ChunkSum s)
        {
            const int Block = 4096;
            int start = block * Block, length = Math.Min(Block, s.Count - start);
            var destination = new Span<float>(s.Destination + start, length);
            int c = 0;
            if (s.Overwrite)
            {
                if (s.Chunks == 0) destination.Clear();
                else new ReadOnlySpan<float>(s.Partials + s.Offset + start, length).CopyTo(destination);
                c = 1;
            }
            for (; c < s.Chunks; c++)
                TensorPrimitives.Add(destination, new ReadOnlySpan<float>(s.Partials + (long)c * s.Stride + s.Offset + start, length), destination);
        }
    }

    /// <summary>Floats at the start of the scratch for the shared chunk counter (a cache line of its own).</summary>
    private const int Counters = 16;

    /// <summary>
    /// One convolution's chunks. Naming follows the convolution: for a transposed one, <see cref="Out"/>
    /// is the channels of its output (the convolution's input) and <see cref="In"/> the channels it reads.
    /// </summary>
    private partial struct ConvJob
    {
        public ConvGeometry G;
        public int Images, Out, In, ChunkImages, Chunks;
        public Activation Activation;
        public float Slope;
        public GemmPath Path;
        public float* X, Weight, Bias, Y, DY, DX, Partials;
        public int PartialSize;
        public bool WeightGradient, BiasGradient;
        /// <summary>The column matrix is patch-major (<see cref="PatchMajorColumns"/>) instead of position-major.</summary>
        public bool PatchMajor;
        /// <summary>dX is written in place of what it holds (see <see cref="GradientTarget"/>), not added to.</summary>
        public bool OverwriteDX;
        private float* _scratch;
        private int _slotFloats;
        private delegate*<int, ref ConvJob, float*, void> _chunk;

        public ConvJob(in ConvGeometry g, int images, int outChannels, int inChannels, Activation activation, float slope, GemmPath path, bool patchMajor)
        {
            G = g; Images = images; Out = outChannels; In = inChannels; Activation = activation; Slope = slope; Path = path;
            PatchMajor = patchMajor && PatchMajorColumns.Fits(g);
            ChunkImages = ChunkSize(images, g.Positions, g.Patch);
            Chunks = (images + ChunkImages - 1) / ChunkImages;
        }

        /// <summary>
        /// Images per chunk: enough for about <see cref="ConvChunkRows"/> rows of columns, within
        /// <see cref="ConvChunkFloats"/>; then evened out so that the chunks come in multiples of
        /// eight when the batch allows, which splits them evenly over two, four or eight threads.
        /// </summary>
        private static int ChunkSize(int images, int positions, int patch)
        {
            int byRows = (ConvChunkRows + positions - 1) / positions;
            int byCache = Math.Max(1, ConvChunkFloats / Math.Max(1, positions * patch));
            int size = Math.Clamp(Math.Min(byRows, byCache), 1, Math.Max(1, images));
            int chunks = (images + size - 1) / size;
            if (chunks > 1 && chunks % 8 != 0) chunks = Math.Min(images, (chunks + 7) / 8 * 8);
            return Math.Max(1, (images + chunks - 1) / chunks);
        }

        /// <summary>The threads worth waking: one per chunk at most, and one for a small convolution.</summary>
        public readonly int Threads(int budget)
        {
            long work = (long)Images * G.ColumnSize * Math.Max(Out, In);
            return work < 256 * 1024 ? 1 : Math.Max(1, Math.Min(budget, Chunks));
        }

        public void Prepare(float* scratch, int slotFloats, delegate*<int, ref ConvJob, float*, void> chunk)
        {
            _scratch = scratch;
            _slotFloats = slotFloats;
            _chunk = chunk;
            *(int*)scratch = 0;
        }

        /// <summary>One thread's share: chunks taken from the shared counter until none are left, with its own scratch.</summary>
        public static void Slot(int slot, ref ConvJob job)
        {
            float* scratch = job._scratch + Counters + (long)slot * job._slotFloats;
            int chunk;
            while ((chunk = Interlocked.Increment(ref *(int*)job._scratch) - 1) < job.Chunks)
                job._chunk(chunk, ref job, scratch);
        }

        private readonly (int First, int Count) ChunkRange(int chunk)
        {
            int first = chunk * ChunkImages;
            return (first, Math.Min(ChunkImages, Images - first));
        }

        private readonly void Gemm(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
            => Cpu.Gemm.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc, 1, Path);

        /// <summary>Conv: unfold the chunk; Y (O, chunk * P) = W (O, C*kh*kw) @ columns^T; then bias and activation on the way into NCHW.</summary>
        public static void ConvForwardChunk(int chunk, ref ConvJob s, float* scratch)
        {
            if (s.PatchMajor)
            {
                ConvForwardPatchMajor(chunk, ref s, scratch);
                return;
            }
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, rows = count * positions, output = s.Out * positions;
            float* columns = scratch, product = scratch + (long)s.ChunkImages * s.G.ColumnSize;
            var unfold = new Unfold(s.X + (long)first * s.G.ImageSize, columns, s.G, 0f);
            for (int row = 0; row < count * s.G.OutHeight; row++) Unfold.ImageToRows(row, ref unfold);
            s.Gemm(false, true, s.Out, rows, patch, s.Weight, patch, columns, patch, 0f, product, rows);
            for (int i = 0; i < count; i++)
                BiasActivation(product + (long)i * positions, rows, s.Y + (long)(first + i) * output, s.Bias, s.Out, positions, s.Activation, s.Slope);
        }

        /// <summary>
        /// Conv backward: dZ (O, chunk * P) = dY * act'(Y) image by image (and its row sums for the
        /// bias); dW_chunk = dZ @ columns; dColumns = dZ^T @ W, folded back onto dX.
        /// </summary>
        public static void ConvBackwardChunk(int chunk, ref ConvJob s, float* scratch)
        {
            if (s.PatchMajor)
            {
                ConvBackwardPatchMajor(chunk, ref s, scratch);
                return;
            }
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, rows = count * positions;
            float* dz = scratch, columns = scratch + (long)s.Out * s.ChunkImages * positions;
            float* weightPartial = s.OutputGradients(chunk, first, count, dz, transposed: false);
            if (s.WeightGradient || s.DX != null)
            {
                var unfold = new Unfold(s.X + (long)first * s.G.ImageSize, columns, s.G, 0f);
                if (s.WeightGradient)
                {
                    for (int row = 0; row < count * s.G.OutHeight; row++) Unfold.ImageToRows(row, ref unfold);
                    s.Gemm(false, false, s.Out, patch, rows, dz, rows, columns, patch, 0f, weightPartial, patch);
                }
                if (s.DX != null)
                {
                    s.Gemm(true, false, rows, patch, s.Out, dz, rows, s.Weight, patch, 0f, columns, patch);
                    if (s.OverwriteDX) new Span<float>(s.DX + (long)first * s.G.ImageSize, count * s.G.ImageSize).Clear();
                    var fold = new Unfold(s.DX + (long)first * s.G.ImageSize, columns, s.G, 0f);
                    for (int i = 0; i < count; i++) Unfold.RowsToImage(i, ref fold);
                }
            }
        }

        /// <summary>
        /// Transposed conv: columns (chunk * P, Cout*kh*kw) = X^T @ W with X as (Cin, chunk * P);
        /// each image's rows folded onto its cleared output, then bias and activation in place.
        /// </summary>
        public static void TransposeForwardChunk(int chunk, ref ConvJob s, float* scratch)
        {
            if (s.PatchMajor)
            {
                TransposeForwardPatchMajor(chunk, ref s, scratch);
                return;
            }
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, image = s.G.ImageSize, pixels = s.G.Height * s.G.Width, rows = count * positions;
            float* inputs = scratch, columns = scratch + (long)s.In * s.ChunkImages * positions;
            GatherImages(s.X + (long)first * s.In * positions, count, s.In, positions, inputs);
            s.Gemm(true, false, rows, patch, s.In, inputs, rows, s.Weight, patch, 0f, columns, patch);
            for (int i = 0; i < count; i++)
            {
                float* y = s.Y + (long)(first + i) * image;
                new Span<float>(y, image).Clear();
                var fold = new Unfold(y, columns + (long)i * positions * patch, s.G, 0f);
                Unfold.RowsToImage(0, ref fold);
                BiasActivation(y, pixels, y, s.Bias, s.Out, pixels, s.Activation, s.Slope);
            }
        }

        /// <summary>
        /// Transposed conv backward: dZ = dY * act'(Y) for the chunk's images (and the bias sums),
        /// unfolded to columns (chunk * P, Cout*kh*kw); dW_chunk = X^T @ columns with X as (Cin, chunk * P);
        /// dX_i += W @ columns_i^T.
        /// </summary>
        public static void TransposeBackwardChunk(int chunk, ref ConvJob s, float* scratch)
        {
            if (s.PatchMajor)
            {
                TransposeBackwardPatchMajor(chunk, ref s, scratch);
                return;
            }
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, image = s.G.ImageSize, rows = count * positions;
            float* dz = scratch, columns = dz + (long)s.ChunkImages * image, inputs = columns + (long)s.ChunkImages * s.G.ColumnSize;
            float* weightPartial = s.OutputGradients(chunk, first, count, dz, transposed: true);
            if (!s.WeightGradient && s.DX == null) return;
            var unfold = new Unfold(dz, columns, s.G, 0f);
            for (int row = 0; row < count * s.G.OutHeight; row++) Unfold.ImageToRows(row, ref unfold);
            if (s.WeightGradient)
            {
                GatherImages(s.X + (long)first * s.In * positions, count, s.In, positions, inputs);
                s.Gemm(false, false, s.In, patch, rows, inputs, rows, columns, patch, 0f, weightPartial, patch);
            }
            if (s.DX != null)
            {
                // dX (Cin, chunk * P) = W @ columns^T, added image by image into NCHW.
                s.Gemm(false, true, s.In, rows, patch, s.Weight, patch, columns, patch, 0f, inputs, rows);
                s.AddInputGradients(inputs, first, count);
            }
        }

        /// <summary>dX of the chunk's images (NCHW) (+)= the product (Cin, count * P) the transposed convolution's backward pass made.</summary>
        private readonly void AddInputGradients(float* product, int first, int count)
        {
            int positions = G.Positions, rows = count * positions;
            for (int i = 0; i < count; i++)
                for (int c = 0; c < In; c++)
                {
                    var gradient = new Span<float>(DX + ((long)(first + i) * In + c) * positions, positions);
                    var part = new ReadOnlySpan<float>(product + (long)c * rows + (long)i * positions, positions);
                    if (OverwriteDX) part.CopyTo(gradient);
                    else TensorPrimitives.Add(gradient, part, gradient);
                }
        }

        /// <summary>
        /// dZ = dY * act'(Y) for the chunk's images, with the bias gradient's row sums into the chunk's
        /// partial; returns where the chunk's weight gradient goes. A convolution's dZ is (O, count * P),
        /// its images side by side; a transposed convolution's stays NCHW, image after image.
        /// </summary>
        private readonly float* OutputGradients(int chunk, int first, int count, float* dz, bool transposed)
        {
            int cols = transposed ? G.Height * G.Width : G.Positions;
            long image = (long)Out * cols;
            int dzRowStride = transposed ? cols : count * cols;
            long dzImageStart = transposed ? image : cols;
            float* weightPartial = Partials + (long)chunk * PartialSize;
            float* biasPartial = WeightGradient ? weightPartial + (transposed ? In : Out) * G.Patch : weightPartial;
            if (BiasGradient) new Span<float>(biasPartial, Out).Clear();
            for (int i = 0; i < count; i++)
            {
                long at = (long)(first + i) * image;
                GradientRows(Y + at, DY + at, cols, dz + i * dzImageStart, dzRowStride, Out, Activation, Slope, BiasGradient ? biasPartial : null);
            }
            return weightPartial;
        }

        /// <summary>destination (channels, count * P) = the count images (channels, P) at source side by side.</summary>
        private static void GatherImages(float* source, int count, int channels, int positions, float* destination)
        {
            int rows = count * positions;
            for (int i = 0; i < count; i++)
                for (int c = 0; c < channels; c++)
                    new ReadOnlySpan<float>(source + ((long)i * channels + c) * positions, positions)
                        .CopyTo(new Span<float>(destination + (long)c * rows + (long)i * positions, positions));
        }
    }

    /// <summary>
    /// y row r = act(x row r + bias[r]) for (rows, cols), x's rows <paramref name="xStride"/> apart
    /// (x may be y); bias optional. One pass per row: the rows are a channel's positions, often
    /// fewer than a hundred, where two library calls' fixed costs outweighed the work.
    /// </summary>
    private static void BiasActivation(float* x, int xStride, float* y, float* bias, int rows, int cols, Activation activation, float slope)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(y + (long)r * cols, cols);
            var source = new ReadOnlySpan<float>(x + (long)r * xStride, cols);
            float shift = bias != null ? bias[r] : 0f;
            switch (activation)
            {
                case Activation.Relu: Pointwise.ShiftMap<ReluRule>(source, row, shift, slope); break;
                case Activation.LeakyRelu: Pointwise.ShiftMap<LeakyReluRule>(source, row, shift, slope); break;
                case Activation.Sigmoid: Pointwise.ShiftMap<SigmoidRule>(source, row, shift, slope); break;
                case Activation.Tanh:
                    Pointwise.ShiftMap<IdentityRule>(source, row, shift, slope);
                    TensorPrimitives.Tanh(row, row);
                    break;
                default:
                    if (bias != null) Pointwise.ShiftMap<IdentityRule>(source, row, shift, slope);
                    else if (x != y) source.CopyTo(row);
                    break;
            }
        }
    }

    /// <summary>
    /// dz row r (at dz + r * dzStride) = dy row r * act'(y row r) for (rows, cols) rows of y and dy,
    /// and biasSums[r] += the row's sum when given, in the same pass.
    /// </summary>
    private static void GradientRows(float* y, float* dy, int cols, float* dz, int dzStride, int rows, Activation activation, float slope, float* biasSums)
    {
        for (int r = 0; r < rows; r++)
        {
            var ys = new ReadOnlySpan<float>(y + (long)r * cols, cols);
            var g = new ReadOnlySpan<float>(dy + (long)r * cols, cols);
            var d = new Span<float>(dz + (long)r * dzStride, cols);
            float sum = activation switch
            {
                Activation.Relu => Overwrite<ReluGrad>(ys, g, d, slope),
                Activation.LeakyRelu => Overwrite<LeakyReluGrad>(ys, g, d, slope),
                Activation.Sigmoid => Overwrite<SigmoidGrad>(ys, g, d, slope),
                Activation.Tanh => Overwrite<TanhGrad>(ys, g, d, slope),
                _ => Overwrite<IdentityGrad>(ys, g, d, slope),
            };
            if (biasSums != null) biasSums[r] += sum;
        }
    }
}
